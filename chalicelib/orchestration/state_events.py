"""Hark's EventBridge events: what a customer's rule on Hark's bus receives.

Every event has ``source`` "hark" and one of two detail types. The detail models below are
the contract; ``infra/events/*.schema.json`` are generated from them (a unit test keeps
them in step) so customers can validate or generate code from the schemas."""
from __future__ import annotations

import json
import logging
from typing import Any, Literal, Optional

from pydantic import BaseModel, Field

from chalicelib.aws import guarded
from hark_core.errors import ServiceUnavailable
from hark_core.records import TranscriptRecord

log = logging.getLogger(__name__)

SOURCE = "hark"
TRANSCRIPT_STATE_CHANGE = "Transcript State Change"
CUSTOM_MODEL_STATE_CHANGE = "Custom Model State Change"


class TranscriptStateChange(BaseModel):
    """Detail of a "Transcript State Change" event: sent as the job is queued, starts
    processing, and ends completed or in error."""

    tenant_id: str
    transcript_id: str
    status: Literal["queued", "processing", "completed", "error"]
    error: Optional[str] = Field(default=None, description="Why the job failed (status error only).")
    location: Optional[str] = Field(
        default=None, description="S3 URI of the stored result JSON (status completed only)."
    )


class CustomModelStateChange(BaseModel):
    """Detail of a "Custom Model State Change" event: sent when a model is ready or failed."""

    tenant_id: str
    model_id: str
    status: Literal["ready", "error"]
    error: Optional[str] = Field(default=None, description="Why training failed (status error only).")


SCHEMAS: dict[str, tuple[str, type[BaseModel]]] = {
    "transcript-state-change": (TRANSCRIPT_STATE_CHANGE, TranscriptStateChange),
    "custom-model-state-change": (CUSTOM_MODEL_STATE_CHANGE, CustomModelStateChange),
}


def schema(name: str) -> dict[str, Any]:
    """The JSON schema of one event's detail, as written to infra/events/<name>.schema.json."""
    detail_type, model = SCHEMAS[name]
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "x-event-source": SOURCE,
        "x-event-detail-type": detail_type,
        **model.model_json_schema(),
    }


class StatePublisher:
    """Puts the state changes the API and the dispatcher make (queued, processing) on the bus;
    the state machines put the final ones (completed, error, ready) themselves."""

    def __init__(self, events: Any, bus: str) -> None:
        self._events = events
        self._bus = bus

    def transcript(self, record: TranscriptRecord) -> None:
        detail = TranscriptStateChange(
            tenant_id=record.tenant_id, transcript_id=record.transcript_id, status=record.status.value
        )
        entry = {
            "EventBusName": self._bus,
            "Source": SOURCE,
            "DetailType": TRANSCRIPT_STATE_CHANGE,
            "Detail": detail.model_dump_json(exclude_none=True),
        }
        # A lost progress event must not fail the job it reports on; the final event, which
        # the state machine retries, is the one customers act on.
        try:
            answer = guarded(lambda: self._events.put_events(Entries=[entry]), "publishing the job's state")
        except ServiceUnavailable:
            log.warning("state event %s for %s not sent", detail.status, record.transcript_id, exc_info=True)
            return
        if answer.get("FailedEntryCount"):
            log.warning("state event for %s not accepted: %s", record.transcript_id, json.dumps(answer["Entries"]))


if __name__ == "__main__":
    # python -m chalicelib.orchestration.state_events infra/events  (rewrites the schema files)
    import sys
    from pathlib import Path

    for schema_name in SCHEMAS:
        out = Path(sys.argv[1]) / f"{schema_name}.schema.json"
        out.write_text(json.dumps(schema(schema_name), indent=2) + "\n")
