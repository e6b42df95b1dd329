"""The transcript and custom-model records kept in DynamoDB, read by the API and the streaming
service alike, and the ids they are known by. Independent of HTTP and of AWS: storage adapters
turn them into items."""
from __future__ import annotations

import os
import threading
import time
import uuid
from dataclasses import dataclass, field, fields
from datetime import datetime, timezone
from decimal import Decimal
from enum import Enum
from typing import Any, Optional, TypeVar

from pydantic import BaseModel

from hark_core.errors import BadRequest, NotFound
from hark_core.options import JobOptions


class Status(str, Enum):
    queued = "queued"
    processing = "processing"
    completed = "completed"
    error = "error"


FINISHED = {Status.completed, Status.error}


_last_id_time = (0, 0)  # (ms, sequence) of the last id this process made
_id_lock = threading.Lock()


def new_id() -> str:
    """A UUIDv7 (RFC 9562): 48 bits of creation time in ms, then a 12-bit sequence, so ids
    sort by creation time — what the list endpoint's ``before_id``/``after_id`` rely on —
    even for ids made in the same millisecond by one process."""
    global _last_id_time
    with _id_lock:
        ms, seq = time.time_ns() // 1_000_000, 0
        last_ms, last_seq = _last_id_time
        if ms <= last_ms:
            ms, seq = (last_ms, last_seq + 1) if last_seq < 0xFFF else (last_ms + 1, 0)
        _last_id_time = (ms, seq)
    value = (ms << 80) | (0x7 << 76) | (seq << 64) | (0b10 << 62) | (int.from_bytes(os.urandom(8)) >> 2)
    return str(uuid.UUID(int=value))


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def redacted_audio_key(record: "TranscriptRecord") -> str:
    """Where a transcript's bleeped audio (redact_pii_audio) is kept, in the media bucket."""
    quality = record.options.redact_pii_audio_quality or "mp3"
    return f"redacted-audio/{record.tenant_id}/{record.transcript_id}.{quality}"


R = TypeVar("R", bound="StoredRecord")


class StoredRecord:
    """Dataclass records ↔ DynamoDB items; attributes the record does not declare (such as
    the task token) stay in storage."""

    status: Enum

    def to_item(self) -> dict[str, Any]:
        item = {}
        for f in fields(self):  # type: ignore[arg-type]
            value = getattr(self, f.name)
            if isinstance(value, Enum):
                value = value.value
            elif isinstance(value, BaseModel):
                value = value.model_dump(mode="json", exclude_none=True, by_alias=True)
            item[f.name] = value
        return item

    @classmethod
    def from_item(cls: type[R], item: dict[str, Any]) -> R:
        fields = cls.__dataclass_fields__  # type: ignore[attr-defined]
        known = {k: v for k, v in item.items() if k in fields}
        status_type = type(fields["status"].default)  # each record's status enum
        known["status"] = status_type(known["status"])
        return cls(**known)


@dataclass
class TranscriptRecord(StoredRecord):
    tenant_id: str
    transcript_id: str
    audio_url: str
    status: Status = Status.queued
    created: str = field(default_factory=now_iso)
    # Where the job reads its audio: an upload of this tenant, or a copy of the URL's bytes.
    media_key: Optional[str] = None
    options: JobOptions = field(default_factory=JobOptions)
    completed: Optional[str] = None
    error: Optional[str] = None
    confidence: Optional[float] = None
    audio_duration: Optional[float] = None
    language_code: Optional[str] = None
    model: Optional[str] = None
    result_key: Optional[str] = None
    deleted: bool = False
    # The drop-folder object the transcript was made from ("<tenant>/inbox/<name>"), if any.
    source_key: Optional[str] = None
    webhook_status_code: Optional[int] = None

    @classmethod
    def from_item(cls, item: dict[str, Any]) -> "TranscriptRecord":
        record = super().from_item(item)
        record.options = JobOptions.model_validate(item.get("options") or {})
        return record


class ModelStatus(str, Enum):
    queued = "queued"
    training = "training"
    ready = "ready"
    error = "error"


@dataclass
class ModelRecord(StoredRecord):
    tenant_id: str
    model_id: str
    name: str
    description: Optional[str] = None
    status: ModelStatus = ModelStatus.queued
    created: str = field(default_factory=now_iso)
    updated: Optional[str] = None
    error: Optional[str] = None
    corpus_key: Optional[str] = None
    corpus_bytes: Optional[int] = None
    text_count: int = 0
    phrase_count: int = 0
    artifact_key: Optional[str] = None
    artifact_bytes: Optional[int] = None
    # Training's evaluation, stored as JSON text: Step Functions writes it as one string.
    metrics_json: Optional[str] = None


def ready_model(record: Optional[ModelRecord], model_id: str) -> ModelRecord:
    """The model a transcript or a stream asks for (`record`, None when the tenant has no such
    model), which must be ready; raises NotFound or BadRequest with the client's message."""
    if record is None:
        raise NotFound(f"custom model {model_id} not found")
    if record.status is not ModelStatus.ready:
        raise BadRequest(f"custom model {model_id} is {record.status.value}, not ready")
    return record


def is_model_id(value: str) -> bool:
    """True for an id `new_id` could have made (a UUID), as against a speech model's name."""
    try:
        return str(uuid.UUID(value)) == value.lower()
    except ValueError:
        return False


DYNAMO_SMALLEST = 1e-130
"""DynamoDB numbers reach down to 1E-130; a float nearer zero (a client may send 2.2e-311 as a
temperature) is stored as 0 rather than failing the write with a decimal underflow."""


def to_stored(v: Any) -> Any:
    """A value as DynamoDB stores it (floats as Decimal)."""
    if isinstance(v, float):
        return Decimal(str(v)) if abs(v) >= DYNAMO_SMALLEST else Decimal(0)
    if isinstance(v, dict):
        return {k: to_stored(x) for k, x in v.items()}
    if isinstance(v, list):
        return [to_stored(x) for x in v]
    return v


def from_stored(v: Any) -> Any:
    """A value read from DynamoDB as the records hold it (Decimal as int or float)."""
    if isinstance(v, Decimal):
        return int(v) if v == v.to_integral_value() else float(v)
    if isinstance(v, dict):
        return {k: from_stored(x) for k, x in v.items()}
    if isinstance(v, list):
        return [from_stored(x) for x in v]
    return v
