"""Step Functions adapter: start executions and complete wait-for-callback tasks."""
from __future__ import annotations

import logging
from typing import Any

from pydantic import BaseModel

from chalicelib.aws import error_code, guarded
from hark_core.errors import ServiceUnavailable

log = logging.getLogger(__name__)

STALE_TOKEN_ERRORS = {"TaskTimedOut", "InvalidToken", "TaskDoesNotExist"}
# Cause strings are capped by Step Functions; user-facing reasons are short anyway.
MAX_CAUSE = 2000


class Executions:
    def __init__(self, sfn: Any, state_machine_arn: str) -> None:
        self._sfn = sfn
        self._arn = state_machine_arn

    def start(self, name: str, job: BaseModel, exists_ok: bool = False) -> None:
        """Execution names are unique per state machine, so a retried start cannot run a job
        twice; ``exists_ok`` makes that retry quiet (at-least-once triggers)."""
        try:
            guarded(
                lambda: self._sfn.start_execution(stateMachineArn=self._arn, name=name, input=job.model_dump_json()),
                "starting the job",
            )
        except ServiceUnavailable as e:
            if not (exists_ok and error_code(e) == "ExecutionAlreadyExists"):
                raise


class TaskCallbacks:
    def __init__(self, sfn: Any) -> None:
        self._sfn = sfn

    def succeed(self, token: str, output: BaseModel) -> None:
        self._send(lambda: self._sfn.send_task_success(taskToken=token, output=output.model_dump_json()))

    def fail(self, token: str, error: str, cause: str) -> None:
        self._send(lambda: self._sfn.send_task_failure(taskToken=token, error=error, cause=cause[:MAX_CAUSE]))

    def _send(self, call: Any) -> None:
        try:
            guarded(call, "reporting the job's outcome")
        except ServiceUnavailable as e:
            code = error_code(e)
            if code not in STALE_TOKEN_ERRORS:
                raise
            # The execution already ended (e.g. its timeout put the record in error): late news.
            log.warning("task token no longer valid (%s); outcome dropped", code)

