"""Parsing the queue events the Lambda handlers receive, with powertools' parser and its
envelopes. powertools' parser imports every event model it knows (~0.2 s), so it is
imported on first use: the API's cold start never pays for it."""
from __future__ import annotations

import json
import logging
from functools import lru_cache
from typing import Any, Iterator, TypeVar
from urllib.parse import unquote_plus

from pydantic import BaseModel

from chalicelib.orchestration.messages import (
    AsyncNotification,
    DispatchMessage,
    TrainingDispatchMessage,
    TrainingJobDetail,
)
from chalicelib.orchestration.state_events import TranscriptStateChange
from chalicelib.orchestration.webhooks import WebhookDelivery
from chalicelib.services.custom_models import parse_corpus_key
from chalicelib.services.drop_folder import DroppedObject

log = logging.getLogger(__name__)
M = TypeVar("M", bound=BaseModel)


def _sqs(event: dict[str, Any], model: type[M], envelope: str = "SqsEnvelope") -> list[M]:
    from aws_lambda_powertools.utilities.parser import envelopes, parse

    return list(parse(event=event, model=model, envelope=getattr(envelopes, envelope)))


def dispatch_messages(event: dict[str, Any]) -> list[DispatchMessage]:
    return _sqs(event, DispatchMessage)


def inference_notifications(event: dict[str, Any]) -> list[AsyncNotification]:
    """SageMaker's SNS notifications, delivered through the SNS → SQS subscription."""
    return _sqs(event, AsyncNotification, "SnsSqsEnvelope")


def training_dispatch_messages(event: dict[str, Any]) -> list[TrainingDispatchMessage]:
    return _sqs(event, TrainingDispatchMessage)


@lru_cache(maxsize=None)
def _event_model(detail: type[BaseModel]) -> type[BaseModel]:
    """An EventBridge event whose detail is ``detail``, as a rule delivers it to SQS."""
    from aws_lambda_powertools.utilities.parser.models import EventBridgeModel

    return type(f"{detail.__name__}Event", (EventBridgeModel,), {"__annotations__": {"detail": detail}})


def training_changes(event: dict[str, Any]) -> list[TrainingJobDetail]:
    """"SageMaker Training Job State Change" events from the account's default bus."""
    return [change.detail for change in _sqs(event, _event_model(TrainingJobDetail))]  # type: ignore[attr-defined]


def transcript_changes(event: dict[str, Any]) -> list[TranscriptStateChange]:
    """Hark's own "Transcript State Change" events, routed from its bus."""
    return [change.detail for change in _sqs(event, _event_model(TranscriptStateChange))]  # type: ignore[attr-defined]


def webhook_deliveries(event: dict[str, Any]) -> list[WebhookDelivery]:
    return _sqs(event, WebhookDelivery)


def drop_uploads(event: dict[str, Any]) -> Iterator[DroppedObject]:
    """The objects an S3 → SQS event reports for the drop bucket (S3's test message skipped)."""
    for bucket, key, size, sequencer in _s3_objects(event):
        yield DroppedObject(bucket=bucket, key=key, size=size, sequencer=sequencer)


def corpus_uploads(event: dict[str, Any]) -> Iterator[tuple[str, str, str, int]]:
    """(tenant, model, key, size) for each corpus object an S3 → SQS event reports; keys
    Hark did not hand out are logged and skipped, never retried."""
    for _, key, size, _ in _s3_objects(event):
        owner = parse_corpus_key(key)
        if owner is None:
            log.warning("ignoring an object outside Hark's corpus layout: %s", key)
            continue
        yield owner[0], owner[1], key, size


def _s3_objects(event: dict[str, Any]) -> Iterator[tuple[str, str, int, str]]:
    """(bucket, key, size, sequencer) of each object an S3 → SQS event reports. S3 sends a
    test message when a notification is set up; it is skipped."""
    from aws_lambda_powertools.utilities.parser.models import S3Model

    for record in event.get("Records", []):
        body = json.loads(record["body"])
        if body.get("Event") == "s3:TestEvent":
            continue
        for s3_record in S3Model.model_validate(body).Records:
            key = unquote_plus(s3_record.s3.object.key)  # S3 event keys are URL-encoded
            obj = s3_record.s3.object
            yield s3_record.s3.bucket.name, key, int(obj.size or 0), str(obj.sequencer or "")
