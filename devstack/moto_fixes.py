"""Fixes for moto bugs that would make the local stack behave unlike AWS. Each is applied
in the moto server's process only, before it starts; Hark's own code is not changed."""
from __future__ import annotations

from typing import Any


def apply() -> None:
    _send_task_failure_keeps_cause()
    _s3_events_carry_every_documented_field()
    _eventbridge_targets_get_the_account()
    _module_list_read_once()


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
