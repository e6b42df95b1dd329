"""Fixes for moto bugs that would make the local stack behave unlike AWS. Each is applied
in the moto server's process only, before it starts; Hark's own code is not changed."""
from __future__ import annotations


def apply() -> None:
    _send_task_failure_keeps_cause()


def _send_task_failure_keeps_cause() -> None:
    """moto 5.2.5's SendTaskFailure drops the ``cause`` parameter, so a Catch sees
    ``"Cause": null`` where AWS passes the reason the worker gave."""
    from moto.core.responses import ActionResult, EmptyResult
    from moto.stepfunctions.responses import StepFunctionResponse

    def send_task_failure(self: StepFunctionResponse) -> ActionResult:
        self.stepfunction_backend.send_task_failure(
            self._get_param("taskToken"), error=self._get_param("error"), cause=self._get_param("cause")
        )
        return EmptyResult()

    StepFunctionResponse.send_task_failure = send_task_failure  # type: ignore[method-assign]
