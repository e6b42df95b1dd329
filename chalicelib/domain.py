"""Domain records, independent of HTTP and of AWS."""
from __future__ import annotations

import os
import time
import uuid
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from enum import Enum
from typing import Any, Optional


class Status(str, Enum):
    queued = "queued"
    processing = "processing"
    completed = "completed"
    error = "error"


FINISHED = {Status.completed, Status.error}


def new_id() -> str:
    """A UUIDv7-style id: its first 48 bits are the creation time in ms, so ids sort by
    creation time, which is what the list endpoint's ``before_id``/``after_id`` need."""
    ms = time.time_ns() // 1_000_000
    raw = bytearray(ms.to_bytes(6, "big") + os.urandom(10))
    raw[6] = (raw[6] & 0x0F) | 0x70
    raw[8] = (raw[8] & 0x3F) | 0x80
    return str(uuid.UUID(bytes=bytes(raw)))


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass
class TranscriptRecord:
    tenant_id: str
    transcript_id: str
    audio_url: str
    status: Status = Status.queued
    created: str = field(default_factory=now_iso)
    # Where the job reads its audio: an upload of this tenant, or a copy of the URL's bytes.
    media_key: Optional[str] = None
    options: dict[str, Any] = field(default_factory=dict)
    completed: Optional[str] = None
    error: Optional[str] = None
    confidence: Optional[float] = None
    audio_duration: Optional[float] = None
    language_code: Optional[str] = None
    model: Optional[str] = None
    result_key: Optional[str] = None
    deleted: bool = False

    def to_item(self) -> dict[str, Any]:
        item = asdict(self)
        item["status"] = self.status.value
        return item

    @classmethod
    def from_item(cls, item: dict[str, Any]) -> "TranscriptRecord":
        known = {k: v for k, v in item.items() if k in cls.__dataclass_fields__}
        known["status"] = Status(known["status"])
        return cls(**known)
