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
from chalicelib.services.custom_models import parse_corpus_key

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


@lru_cache(maxsize=1)
def _training_event_model() -> type[BaseModel]:
    from aws_lambda_powertools.utilities.parser.models import EventBridgeModel

    class TrainingJobEvent(EventBridgeModel):  # type: ignore[misc, valid-type]
        """"SageMaker Training Job State Change", as EventBridge delivers it."""

        detail: TrainingJobDetail

    return TrainingJobEvent


def training_changes(event: dict[str, Any]) -> list[TrainingJobDetail]:
    return [change.detail for change in _sqs(event, _training_event_model())]  # type: ignore[attr-defined]


def corpus_uploads(event: dict[str, Any]) -> Iterator[tuple[str, str, str, int]]:
    """(tenant, model, key, size) for each corpus object an S3 → SQS event reports. S3 sends
    a test message when a notification is set up; it and keys Hark did not hand out are
    logged and skipped, never retried."""
    from aws_lambda_powertools.utilities.parser.models import S3Model

    for record in event.get("Records", []):
        body = json.loads(record["body"])
        if body.get("Event") == "s3:TestEvent":
            continue
        for s3_record in S3Model.model_validate(body).Records:
            key = unquote_plus(s3_record.s3.object.key)  # S3 event keys are URL-encoded
            owner = parse_corpus_key(key)
            if owner is None:
                log.warning("ignoring an object outside Hark's corpus layout: %s", key)
                continue
            yield owner[0], owner[1], key, int(s3_record.s3.object.size or 0)
