"""Fixes for moto bugs that would make the local stack behave unlike AWS. Each is applied
in the moto server's process only, before it starts; Hark's own code is not changed."""
from __future__ import annotations

from typing import Any


def apply() -> None:
    _send_task_failure_keeps_cause()
    _s3_events_carry_every_documented_field()
    _eventbridge_targets_get_the_account()
    _module_list_read_once()
    _state_machines_parsed_once()
    _interpreter_clients_made_once()


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


def _s3_events_carry_every_documented_field() -> None:
    """moto 5.2.5's S3 event records lack userIdentity, requestParameters,
    responseElements and the bucket's ownerIdentity, which AWS always sends (see "Event
    message structure" in the S3 user guide) and which powertools' S3 model requires."""
    from moto.s3 import notifications

    original = notifications._get_s3_event

    def complete(*args: Any, **kwargs: Any) -> dict[str, list[dict[str, Any]]]:
        event = original(*args, **kwargs)
        for record in event["Records"]:
            record.setdefault("userIdentity", {"principalId": "AWS:LOCAL"})
            record.setdefault("requestParameters", {"sourceIPAddress": "127.0.0.1"})
            record.setdefault("responseElements", {"x-amz-request-id": "LOCAL", "x-amz-id-2": "LOCAL"})
            record["s3"]["bucket"].setdefault("ownerIdentity", {"principalId": "LOCAL"})
        return event

    notifications._get_s3_event = complete


def _eventbridge_targets_get_the_account() -> None:
    """moto 5.2.5's default event template (no InputTransformer) leaves out the event's
    ``account``, which AWS delivers to every target."""
    from moto.events.utils import EventTemplateParser

    EventTemplateParser.DEFAULT_EVENT_INPUT_TEMPLATE = EventTemplateParser.DEFAULT_EVENT_INPUT_TEMPLATE.replace(
        '"version": "0",', '"version": "0", "account": "<account>",'
    )


def _module_list_read_once() -> None:
    """moto's server lists its package directory (≈150 isdir calls) on every request to
    route it; the list never changes while it runs. Read it once: the local stack's own
    overhead competes for the cores with the inference worker it serves."""
    from moto import backends  # the module moto's werkzeug app looks the function up in

    modules = tuple(backends.list_of_moto_modules())
    backends.list_of_moto_modules = lambda: modules  # type: ignore[assignment]


def _state_machines_parsed_once() -> None:
    """moto's Step Functions interpreter parses the ASL (an ANTLR parse, tens of ms) at the
    start of every execution. The parsed program is immutable (evaluation state lives in
    the execution's Environment), so one parse per definition serves every execution."""
    from functools import lru_cache

    from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser
    from moto.stepfunctions.parser.backend.execution_worker import ExecutionWorker

    parse = lru_cache(maxsize=64)(AmazonStateLanguageParser.parse)

    def entrypoint(self: ExecutionWorker) -> Any:
        return parse(self._evaluation_details.state_machine_details.definition)[0]

    ExecutionWorker._get_evaluation_entrypoint = entrypoint  # type: ignore[method-assign]


def _interpreter_clients_made_once() -> None:
    """moto's Step Functions interpreter makes a new boto3 client (≈20 ms of CPU) for every
    Task state it runs; boto3 clients are thread-safe, so one per service and endpoint does."""
    import threading
    from types import SimpleNamespace

    import boto3
    from moto.stepfunctions.parser.asl.utils import boto_client

    made: dict[tuple[Any, ...], Any] = {}
    lock = threading.Lock()  # boto3's default session must not make clients concurrently

    def client(**kwargs: Any) -> Any:
        key = tuple(sorted((k, v) for k, v in kwargs.items() if k != "config"))
        with lock:
            if key not in made:
                made[key] = boto3.client(**kwargs)
            return made[key]

    boto_client.boto3 = SimpleNamespace(client=client)  # type: ignore[attr-defined]
