"""Request and response bodies of the v2 API, shaped as AssemblyAI's (the official SDK's
``types.py`` is the schema matched here)."""

from __future__ import annotations

from typing import Annotated, Any, Literal, Optional

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from chalicelib import speech
from chalicelib.api.validation import describe
from chalicelib.domain import Status
from chalicelib.errors import BadRequest, UnsupportedFeature


def _absent_when_none(value: Any) -> bool:
    return value is None


# Fields AssemblyAI's schema types as a plain string or list (never null) are left out while
# they have no value, as AssemblyAI leaves them out, rather than sent as null.
Absent = Field(default=None, exclude_if=_absent_when_none)


# AssemblyAI features Hark does not offer (yet). A client may send them switched off (the
# official SDK never sends unset fields); switched on they are refused, not silently ignored.
UNSUPPORTED_FEATURES = (
    "audio_channels",
    "auto_chapters",
    "auto_highlights",
    "content_safety",
    "content_safety_confidence",
    "dual_channel",
    "iab_categories",
    "keyterms_prompt_options",
    "language_codes",
    "language_detection_options",
    "redact_pii_return_unredacted",
    "remove_audio_tags",
    "sentiment_analysis",
    "speech_understanding",
    "summarization",
    "summary_model",
    "summary_type",
)


MAX_PROMPT_WORDS = 1500


class StrictModel(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class CustomSpelling(StrictModel):
    from_: list[Annotated[str, Field(min_length=1, max_length=100)]] = Field(alias="from", min_length=1, max_length=100)
    to: str = Field(max_length=100)

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class SpeakerOptions(StrictModel):
    min_speakers_expected: Optional[int] = Field(default=None, ge=1, le=26)
    max_speakers_expected: Optional[int] = Field(default=None, ge=1, le=26)

    @model_validator(mode="after")
    def ordered(self) -> "SpeakerOptions":
        low, high = self.min_speakers_expected, self.max_speakers_expected
        if low is not None and high is not None and high < low:
            raise ValueError("max_speakers_expected must not be below min_speakers_expected")
        return self


# AssemblyAI's PII policies that Hark finds (the container's sagemaker_jobs/asr/pii.py, which
# a test keeps equal to this); the rest of AssemblyAI's list is refused by name.
PII_POLICIES = (
    "account_number",
    "banking_information",
    "credit_card_cvv",
    "credit_card_number",
    "date",
    "date_of_birth",
    "email_address",
    "ip_address",
    "location",
    "nationality",
    "number_sequence",
    "organization",
    "person_name",
    "phone_number",
    "us_social_security_number",
)


class RedactedAudioOptions(StrictModel):
    return_redacted_no_speech_audio: Optional[bool] = None
    override_audio_redaction_method: Optional[Literal["silence"]] = None


class TranscriptRequest(StrictModel):
    audio_url: str = Field(min_length=1, max_length=4096)
    language_code: Optional[str] = None
    punctuate: Optional[bool] = None
    format_text: Optional[bool] = None
    speech_model: Optional[str] = None
    speech_models: Optional[list[str]] = None
    custom_model_id: Optional[str] = Field(default=None, max_length=64)
    # The official SDK drops fields it does not know, so a custom model id sent as
    # AssemblyAI's `domain` selects the model too.
    domain: Optional[str] = Field(default=None, max_length=64)
    word_boost: Optional[list[Annotated[str, Field(min_length=1, max_length=100)]]] = Field(
        default=None, max_length=1000
    )
    boost_param: Optional[Literal["low", "default", "high"]] = None
    keyterms_prompt: Optional[list[Annotated[str, Field(min_length=1, max_length=100)]]] = Field(
        default=None, max_length=1000
    )
    custom_spelling: Optional[list[CustomSpelling]] = Field(default=None, max_length=1000)
    speaker_labels: Optional[bool] = None
    speakers_expected: Optional[int] = Field(default=None, ge=1, le=10)
    # A range of speakers for diarization (with speaker_labels; not with speakers_expected).
    speaker_options: Optional[SpeakerOptions] = None
    language_detection: Optional[bool] = None
    # With language_detection: a detected language less likely than this ends the job in error.
    language_confidence_threshold: Optional[float] = Field(default=None, ge=0, le=1)
    webhook_url: Optional[str] = Field(default=None, max_length=2048)
    webhook_auth_header_name: Optional[str] = Field(
        default=None, max_length=256, pattern=r"^[A-Za-z0-9!#$%&'*+.^_`|~-]+$"
    )
    webhook_auth_header_value: Optional[str] = Field(default=None, max_length=4096, pattern=r"^[^\x00-\x1f\x7f]*$")
    # Context for the decoder (AssemblyAI: up to 1,500 words); with a custom model it comes
    # before the model's own context in each window.
    prompt: Optional[str] = Field(default=None, min_length=1, max_length=20_000)
    # Whisper's first decoding temperature (its fallback goes on from there when a decode fails
    # its checks); 0, the default, decodes with beam search.
    temperature: Optional[float] = Field(default=None, ge=0, le=1)
    # Milliseconds into the file; the transcript's timestamps stay those of the whole file.
    audio_start_from: Optional[int] = Field(default=None, ge=0)
    audio_end_at: Optional[int] = Field(default=None, ge=1)
    # Audio with less speech than this share ends in error (the container measures it).
    speech_threshold: Optional[float] = Field(default=None, ge=0, le=1)
    # Keep the "um"s and "uh"s the decoder writes (they are removed otherwise). Not a prompt full
    # of fillers: that made tiny.en keep more of them in one test sentence but drop the next.
    disfluencies: Optional[bool] = None
    # Profane words masked as AssemblyAI does: first letter, then asterisks ("s***").
    filter_profanity: Optional[bool] = None
    # Each channel transcribed on its own (a call recorded agent left, customer right); the
    # channel's number is each word's `channel` and `speaker`.
    multichannel: Optional[bool] = None
    # Personal data: found (entity_detection, unredacted) and redacted from the words; with
    # redact_pii_audio also bleeped in a copy of the audio (GET .../redacted-audio).
    entity_detection: Optional[bool] = None
    redact_pii: Optional[bool] = None
    redact_pii_policies: Optional[list[str]] = Field(default=None, min_length=1, max_length=len(PII_POLICIES))
    redact_pii_sub: Optional[Literal["hash", "entity_name"]] = None
    redact_pii_audio: Optional[bool] = None
    redact_pii_audio_quality: Optional[Literal["mp3", "wav"]] = None
    redact_pii_audio_options: Optional[RedactedAudioOptions] = None

    @field_validator("redact_pii_policies")
    @classmethod
    def known_policies(cls, value: Optional[list[str]]) -> Optional[list[str]]:
        unknown = sorted(set(value or ()) - set(PII_POLICIES))
        if unknown:
            raise ValueError(
                f"PII policies not offered by Hark: {', '.join(unknown)} (offered: {', '.join(PII_POLICIES)})"
            )
        return value

    @model_validator(mode="after")
    def pii_together(self) -> "TranscriptRequest":
        redaction = ("redact_pii_policies", "redact_pii_sub", "redact_pii_audio", "redact_pii_audio_quality")
        asked = [name for name in redaction if getattr(self, name) not in (None, False)]
        if asked and not self.redact_pii:
            raise ValueError(f"{', '.join(asked)} needs redact_pii: true")
        if (self.redact_pii_audio_quality or self.redact_pii_audio_options) and not self.redact_pii_audio:
            raise ValueError("redact_pii_audio_quality and redact_pii_audio_options need redact_pii_audio: true")
        return self

    @model_validator(mode="after")
    def one_way_to_the_language(self) -> "TranscriptRequest":
        if self.language_detection and self.language_code:
            raise ValueError("give language_code or language_detection: true, not both")
        return self

    @model_validator(mode="after")
    def audio_range(self) -> "TranscriptRequest":
        if (
            self.audio_start_from is not None
            and self.audio_end_at is not None
            and self.audio_end_at <= self.audio_start_from
        ):
            raise ValueError("audio_end_at must be after audio_start_from")
        if self.speaker_options is not None and not self.speaker_labels:
            raise ValueError("speaker_options needs speaker_labels: true")
        if self.multichannel and self.speaker_labels:
            raise ValueError(
                "give multichannel or speaker_labels, not both: with multichannel each channel is one speaker"
            )
        if self.speaker_options is not None and self.speakers_expected is not None:
            raise ValueError("give speakers_expected or speaker_options, not both")
        return self

    @field_validator("prompt")
    @classmethod
    def prompt_words(cls, value: Optional[str]) -> Optional[str]:
        if value is not None and len(value.split()) > MAX_PROMPT_WORDS:
            raise ValueError(f"prompt has {len(value.split())} words; the most is {MAX_PROMPT_WORDS}")
        return value

    @property
    def model_id(self) -> Optional[str]:
        return self.custom_model_id or self.domain

    @classmethod
    def parse(cls, body: dict[str, Any]) -> "TranscriptRequest":
        """Validates a body, naming any AssemblyAI feature that is asked for but not offered;
        raises BadRequest (an UnsupportedFeature for those) with a readable message."""
        requested = sorted(k for k in UNSUPPORTED_FEATURES if body.get(k) not in (None, False, [], {}, ""))
        if requested:
            raise UnsupportedFeature(f"not supported by this Hark deployment: {', '.join(requested)}")
        try:
            return cls.model_validate({k: v for k, v in body.items() if k not in UNSUPPORTED_FEATURES})
        except ValidationError as e:
            # Callers other than the API (the drop folder's sidecars) get the same message.
            raise BadRequest(describe(e)) from e

    @field_validator("language_code")
    @classmethod
    def whisper_language(cls, value: Optional[str]) -> Optional[str]:
        if value is not None and speech.whisper_language(value) is None:
            raise ValueError(f"language '{value}' is not supported: Hark's speech models do not transcribe it")
        return value.lower() if value else value

    @property
    def language(self) -> Optional[str]:
        """Whisper's code for the requested language; None when none is named."""
        return speech.whisper_language(self.language_code) if self.language_code else None


class ListParams(StrictModel):
    limit: int = Field(default=10, ge=1, le=200)
    status: Optional[Status] = None
    before_id: Optional[str] = Field(default=None, max_length=64)
    after_id: Optional[str] = Field(default=None, max_length=64)
    created_on: Optional[str] = Field(default=None, pattern=r"^\d{4}-\d{2}-\d{2}$")
    throttled_only: Optional[bool] = None


class WordOut(BaseModel):
    text: str
    start: int
    end: int
    confidence: float
    speaker: Optional[str] = None
    channel: Optional[str] = Absent


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
    words: Optional[list[WordOut]] = None
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
    entities: Optional[list["EntityOut"]] = Absent
    redact_pii_audio: bool = False
    redact_pii_audio_quality: Optional[str] = Absent
    redact_pii_policies: Optional[list[str]] = Absent
    redact_pii_sub: Optional[str] = Absent
    # Hark's own: while queued, how many of this account's jobs wait ahead of it (other accounts'
    # jobs delay it by a fair share at most, so they are not counted).
    queue_position: Optional[int] = None


class EntityOut(BaseModel):
    entity_type: str
    text: str
    start: int
    end: int


class RedactedAudioOut(BaseModel):
    status: Literal["redacted_audio_ready"] = "redacted_audio_ready"
    redacted_audio_url: str


class SegmentOut(BaseModel):
    """A sentence, a paragraph or an utterance (a speaker's turn)."""

    text: str
    start: int
    end: int
    confidence: float
    words: list[WordOut]
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


class ModelRequest(StrictModel):
    name: str = Field(min_length=1, max_length=128)
    description: Optional[str] = Field(default=None, max_length=2000)
    texts: list[str] = Field(default_factory=list, max_length=20_000)
    phrases: list[Annotated[str, Field(min_length=1, max_length=200)]] = Field(default_factory=list, max_length=10_000)


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


class ModelListParams(StrictModel):
    limit: int = Field(default=10, ge=1, le=200)
    status: Optional[str] = Field(default=None, pattern="^(queued|training|ready|error)$")
    before_id: Optional[str] = Field(default=None, max_length=64)
    after_id: Optional[str] = Field(default=None, max_length=64)


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
