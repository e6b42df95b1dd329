"""Request and response bodies of the v2 API, shaped as AssemblyAI's (the official SDK's
``types.py`` is the schema matched here)."""

from __future__ import annotations

from typing import Annotated, Any, Literal, Optional

from pydantic import BaseModel, Field, field_validator

from hark_core.inference import Entity, Word
from hark_core.options import StrictModel
from hark_core.records import Status


def _absent_when_none(value: Any) -> bool:
    return value is None


# Fields AssemblyAI's schema types as a plain string or list (never null) are left out while
# they have no value, as AssemblyAI leaves them out, rather than sent as null.
Absent = Field(default=None, exclude_if=_absent_when_none)


class TranscriptOut(BaseModel):
    id: str
    status: Status
    audio_url: str
    # Required by AssemblyAI's schema (deprecated there); one model family is all there is.
    language_model: str = "assemblyai_default"
    acoustic_model: str = "assemblyai_default"
    auto_highlights: bool = False
    redact_pii: bool = False
    summarization: bool = False
    language_confidence_threshold: Optional[float] = None
    text: Optional[str] = None
    words: Optional[list[Word]] = None
    utterances: Optional[list["SegmentOut"]] = None
    speaker_labels: bool = False
    speakers_expected: Optional[int] = None
    language_detection: bool = False
    language_confidence: Optional[float] = None
    confidence: Optional[float] = None
    audio_duration: Optional[int] = None
    language_code: str = "en_us"
    punctuate: bool = True
    format_text: bool = True
    speech_model: Optional[str] = None
    speech_model_used: Optional[str] = Absent
    error: Optional[str] = Absent
    created: str
    completed: Optional[str] = None
    custom_model_id: Optional[str] = None
    word_boost: Optional[list[str]] = None
    boost_param: Optional[str] = None
    keyterms_prompt: Optional[list[str]] = Absent
    custom_spelling: Optional[list[dict[str, Any]]] = None
    webhook_url: Optional[str] = None
    webhook_auth: bool = False
    webhook_auth_header_name: Optional[str] = None
    webhook_status_code: Optional[int] = None
    prompt: Optional[str] = Absent
    temperature: Optional[float] = None
    audio_start_from: Optional[int] = None
    audio_end_at: Optional[int] = None
    speech_threshold: Optional[float] = None
    speaker_options: Optional[dict[str, Any]] = None
    disfluencies: bool = False
    filter_profanity: bool = False
    multichannel: bool = False
    audio_channels: Optional[int] = Absent
    entity_detection: bool = False
    entities: Optional[list[Entity]] = Absent
    redact_pii_audio: bool = False
    redact_pii_audio_quality: Optional[str] = Absent
    redact_pii_policies: Optional[list[str]] = Absent
    redact_pii_sub: Optional[str] = Absent
    # Hark's own: while queued, how many of this account's jobs wait ahead of it (other accounts'
    # jobs delay it by a fair share at most, so they are not counted).
    queue_position: Optional[int] = None


class RedactedAudioOut(BaseModel):
    status: Literal["redacted_audio_ready"] = "redacted_audio_ready"
    redacted_audio_url: str


class SegmentOut(BaseModel):
    """A sentence, a paragraph or an utterance (a speaker's turn)."""

    text: str
    start: int
    end: int
    confidence: float
    words: list[Word]
    speaker: Optional[str] = None
    channel: Optional[str] = Absent


class ExportOut(BaseModel):
    id: str
    confidence: float
    audio_duration: int


class SentencesOut(ExportOut):
    sentences: list[SegmentOut]


class ParagraphsOut(ExportOut):
    paragraphs: list[SegmentOut]


class SubtitleParams(StrictModel):
    chars_per_caption: Optional[int] = Field(default=None, ge=1, le=1000)


MAX_PHRASE_WORDS = 5  # AssemblyAI's limit for one searched phrase


class WordSearchParams(StrictModel):
    """``?words=a,b c``: comma-separated words or phrases (the official SDK's form)."""

    words: list[Annotated[str, Field(min_length=1, max_length=200)]] = Field(min_length=1, max_length=100)

    @field_validator("words", mode="before")
    @classmethod
    def comma_separated(cls, value: Any) -> Any:
        if not isinstance(value, str):
            return value
        terms = [t.strip() for t in value.split(",") if t.strip()]
        if any(len(t.split()) > MAX_PHRASE_WORDS for t in terms):
            raise ValueError(f"a searched phrase has at most {MAX_PHRASE_WORDS} words")
        return terms


class WordSearchMatchOut(BaseModel):
    text: str
    count: int
    timestamps: list[tuple[int, int]]
    indexes: list[int]


class WordSearchOut(BaseModel):
    id: str
    total_count: int
    matches: list[WordSearchMatchOut]


class TranscriptItem(BaseModel):
    id: str
    resource_url: str
    status: Status
    created: str
    completed: Optional[str] = None
    audio_url: str
    error: Optional[str] = None


class PageDetails(BaseModel):
    limit: int
    result_count: int
    current_url: str
    prev_url: Optional[str] = None
    next_url: Optional[str] = None


class TranscriptList(BaseModel):
    page_details: PageDetails
    transcripts: list[TranscriptItem]


class UploadOut(BaseModel):
    upload_url: str


class ModelSizes(BaseModel):
    texts: int
    phrases: int
    corpus_bytes: Optional[int] = None
    artifact_bytes: Optional[int] = None


class ModelOut(BaseModel):
    id: str
    name: str
    description: Optional[str] = None
    status: str
    error: Optional[str] = None
    created: str
    updated: Optional[str] = None
    sizes: ModelSizes
    metrics: Optional[dict[str, Any]] = None


class ModelItem(BaseModel):
    id: str
    resource_url: str
    name: str
    status: str
    created: str
    error: Optional[str] = None


class ModelList(BaseModel):
    page_details: PageDetails
    models: list[ModelItem]


class CorpusUploadOut(BaseModel):
    upload_url: str
    method: str = "PUT"
    expires_in: int
    formats: str = 'plain text (one document per line), JSON lines ({"text"} or {"phrase"}), CSV with a text or phrase column, JSON {"texts": [...], "phrases": [...]}, or a ZIP of these plus recordings beside their reference transcripts (call-1.wav + call-1.txt)'


class AccountOut(BaseModel):
    """``GET /v2/account``: who the key belongs to, and the secret its webhooks are signed with."""

    tenant_id: str
    webhook_signing_secret: str


class TokenParams(StrictModel):
    """``GET /v3/token``: AssemblyAI's bounds for a temporary streaming token."""

    expires_in_seconds: int = Field(ge=1, le=600)
    max_session_duration_seconds: Optional[int] = Field(default=None, ge=60, le=10_800)


class TokenOut(BaseModel):
    token: str


class SyncParams(StrictModel):
    """``POST /v2/transcribe?...``: the options of a synchronous transcription, as a query."""

    custom_model_id: Optional[str] = Field(default=None, max_length=64)
    keyterms_prompt: Optional[str] = Field(default=None, max_length=4000)
    """comma-separated"""
    punctuate: Optional[bool] = None
    format_text: Optional[bool] = None
    speaker_labels: Optional[bool] = None

    def transcript_options(self) -> dict[str, Any]:
        options = self.model_dump(exclude_none=True, exclude={"keyterms_prompt"})
        terms = [t.strip() for t in (self.keyterms_prompt or "").split(",") if t.strip()]
        if terms:
            options["keyterms_prompt"] = terms
        return options
