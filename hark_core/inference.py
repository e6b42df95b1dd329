"""The inference container's contract: the request the API puts in S3 for the async endpoint,
and the result the container writes back. The container parses and writes exactly these models;
the API reads the result with them (and the streaming service's words are `Word` too)."""

from __future__ import annotations

from typing import Any, Optional

from pydantic import BaseModel, ConfigDict, Field
from pydantic.dataclasses import dataclass

from hark_core.options import JobOptions


def _absent_when_none(value: Any) -> bool:
    return value is None


@dataclass(frozen=True)
class Word:
    """One transcribed word; times in ms from the start of the audio."""

    text: str
    start: int
    end: int
    confidence: float
    speaker: Optional[str] = None
    """"A", "B", ... when speaker labels were asked for; the channel's number with multichannel."""
    channel: Optional[str] = Field(default=None, exclude_if=_absent_when_none)
    """"1", "2", ... with multichannel: the audio channel the word was heard on (left out of
    the JSON otherwise, as AssemblyAI leaves it out)."""


class Entity(BaseModel):
    """Personal data found in the words (`entity_detection`), under AssemblyAI's type names."""

    entity_type: str
    text: str
    start: int
    end: int


class InferenceRequest(BaseModel):
    """Body of the async endpoint's input object (the container's /invocations request)."""

    model_config = ConfigDict(extra="forbid")

    audio_uri: str
    options: JobOptions = Field(default_factory=JobOptions)
    tenant_id: str = ""
    first_of_tenant: bool = False
    """The job's tenant had nothing else at the endpoint when it was admitted: the container
    decodes it ahead of, and not in one batch with, other tenants' backlog. On a CPU a batch
    takes time in proportion to its size, so another tenant's file batched with a burst's clips
    took twice its idle time (fair sharing)."""
    redacted_audio_uri: Optional[str] = None
    """With redact_pii_audio: where the container writes the bleeped copy of the audio."""

    def to_json(self) -> bytes:
        return self.model_dump_json(exclude_none=True).encode()


class InferenceResult(BaseModel):
    """The container's /invocations response, as written to the async output location."""

    model_config = ConfigDict(extra="ignore")

    text: str
    words: list[Word]
    confidence: float
    """Mean probability of the words, 0 when there are none."""
    audio_duration: float
    """Seconds."""
    language_code: str
    """As AssemblyAI spells it: "en_us" for English, otherwise the ISO 639-1 code."""
    language_confidence: Optional[float] = None
    model: Optional[str] = None
    audio_channels: Optional[int] = None
    """With multichannel: how many channels were transcribed."""
    entities: Optional[list[Entity]] = None
    """With entity_detection or redact_pii: what was found, unredacted."""


class InferenceError(BaseModel):
    """The container's answer to a request it cannot serve, with a message for the API's user."""

    error: str
