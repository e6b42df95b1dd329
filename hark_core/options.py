"""A transcript's options: one typed model from the API to the container.

    TranscriptOptions   what a client may ask (AssemblyAI's request fields that Hark offers)
    └── JobOptions      what a job stores on its record, carries in its InferenceRequest and
                        the container reads: the client's options plus what Hark resolved at
                        submit time (the custom model's artifact, the base model, a length cap)

Every process validates with the same model, so a new option is one field here plus its one
implementation (the README's "Adding a transcript option" walks through it). Both models refuse
fields they do not know: a process that has not learnt an option fails loudly instead of
ignoring it.
"""

from __future__ import annotations

from typing import Annotated, Literal, Optional

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from hark_core import speech

MAX_PROMPT_WORDS = 1500
"""AssemblyAI's limit for `prompt`."""

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
"""AssemblyAI's PII policies that Hark finds (the container's sagemaker_jobs/asr/pii.py finds
these); the rest of AssemblyAI's list is refused by name."""

Phrase = Annotated[str, Field(min_length=1, max_length=100)]


class StrictModel(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class CustomSpelling(StrictModel):
    """Words the decoder writes (`from`) and how the customer spells them (`to`)."""

    model_config = ConfigDict(
        extra="forbid", str_strip_whitespace=True, populate_by_name=True, serialize_by_alias=True
    )

    from_: list[Phrase] = Field(alias="from", min_length=1, max_length=100)
    to: str = Field(max_length=100)


class SpeakerOptions(StrictModel):
    min_speakers_expected: Optional[int] = Field(default=None, ge=1, le=26)
    max_speakers_expected: Optional[int] = Field(default=None, ge=1, le=26)

    @model_validator(mode="after")
    def ordered(self) -> "SpeakerOptions":
        low, high = self.min_speakers_expected, self.max_speakers_expected
        if low is not None and high is not None and high < low:
            raise ValueError("max_speakers_expected must not be below min_speakers_expected")
        return self

    @property
    def range(self) -> tuple[int, Optional[int]]:
        """(least, most) speakers; a missing minimum is 1, a missing maximum None."""
        return self.min_speakers_expected or 1, self.max_speakers_expected


class RedactedAudioOptions(StrictModel):
    return_redacted_no_speech_audio: Optional[bool] = None
    override_audio_redaction_method: Optional[Literal["silence"]] = None


class TranscriptOptions(StrictModel):
    """AssemblyAI's transcript request fields that Hark offers, each as AssemblyAI documents it."""

    language_code: Optional[str] = None
    punctuate: Optional[bool] = None
    format_text: Optional[bool] = None
    speech_model: Optional[str] = None
    speech_models: Optional[list[str]] = None
    custom_model_id: Optional[str] = Field(default=None, max_length=64)
    word_boost: Optional[list[Phrase]] = Field(default=None, max_length=1000)
    boost_param: Optional[Literal["low", "default", "high"]] = None
    keyterms_prompt: Optional[list[Phrase]] = Field(default=None, max_length=1000)
    custom_spelling: Optional[list[CustomSpelling]] = Field(default=None, max_length=1000)
    speaker_labels: Optional[bool] = None
    speakers_expected: Optional[int] = Field(default=None, ge=1, le=10)
    speaker_options: Optional[SpeakerOptions] = None
    """A range of speakers for diarization (with speaker_labels; not with speakers_expected)."""
    language_detection: Optional[bool] = None
    language_confidence_threshold: Optional[float] = Field(default=None, ge=0, le=1)
    """With language_detection: a detected language less likely than this ends the job in error."""
    webhook_url: Optional[str] = Field(default=None, max_length=2048)
    webhook_auth_header_name: Optional[str] = Field(
        default=None, max_length=256, pattern=r"^[A-Za-z0-9!#$%&'*+.^_`|~-]+$"
    )
    webhook_auth_header_value: Optional[str] = Field(default=None, max_length=4096, pattern=r"^[^\x00-\x1f\x7f]*$")
    prompt: Optional[str] = Field(default=None, min_length=1, max_length=20_000)
    """Context for the decoder; with a custom model it comes before the model's own context in
    each window."""
    temperature: Optional[float] = Field(default=None, ge=0, le=1)
    """Whisper's first decoding temperature (its fallback goes on from there in steps of 0.2 when
    a decode fails its checks); unset, the engine's own ladder from 0 (beam search)."""
    audio_start_from: Optional[int] = Field(default=None, ge=0)
    """Milliseconds into the file; the transcript's timestamps stay those of the whole file."""
    audio_end_at: Optional[int] = Field(default=None, ge=1)
    speech_threshold: Optional[float] = Field(default=None, ge=0, le=1)
    """Audio with less speech than this share ends in error (the container measures it)."""
    disfluencies: Optional[bool] = None
    """Keep the "um"s and "uh"s the decoder writes (they are removed otherwise)."""
    filter_profanity: Optional[bool] = None
    """Profane words masked as AssemblyAI does: first letter, then asterisks ("s***")."""
    multichannel: Optional[bool] = None
    """Each channel transcribed on its own (a call recorded agent left, customer right)."""
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

    @field_validator("prompt")
    @classmethod
    def prompt_words(cls, value: Optional[str]) -> Optional[str]:
        if value is not None and len(value.split()) > MAX_PROMPT_WORDS:
            raise ValueError(f"prompt has {len(value.split())} words; the most is {MAX_PROMPT_WORDS}")
        return value

    @field_validator("language_code")
    @classmethod
    def whisper_language(cls, value: Optional[str]) -> Optional[str]:
        if value is not None and speech.whisper_language(value) is None:
            raise ValueError(f"language '{value}' is not supported: Hark's speech models do not transcribe it")
        return value.lower() if value else value

    @model_validator(mode="after")
    def pii_together(self) -> "TranscriptOptions":
        redaction = ("redact_pii_policies", "redact_pii_sub", "redact_pii_audio", "redact_pii_audio_quality")
        asked = [name for name in redaction if getattr(self, name) not in (None, False)]
        if asked and not self.redact_pii:
            raise ValueError(f"{', '.join(asked)} needs redact_pii: true")
        if (self.redact_pii_audio_quality or self.redact_pii_audio_options) and not self.redact_pii_audio:
            raise ValueError("redact_pii_audio_quality and redact_pii_audio_options need redact_pii_audio: true")
        return self

    @model_validator(mode="after")
    def one_way_to_the_language(self) -> "TranscriptOptions":
        if self.language_detection and self.language_code:
            raise ValueError("give language_code or language_detection: true, not both")
        return self

    @model_validator(mode="after")
    def consistent(self) -> "TranscriptOptions":
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

    @property
    def language(self) -> Optional[str]:
        """Whisper's code for the requested language; None when none is named."""
        return speech.whisper_language(self.language_code) if self.language_code else None

    @property
    def pii_policies(self) -> tuple[str, ...]:
        """The policies redacted: those asked for, or all with `redact_pii` alone; none without it."""
        if not self.redact_pii:
            return ()
        return tuple(self.redact_pii_policies or PII_POLICIES)


class JobOptions(TranscriptOptions):
    """The options of one job, as its record stores them and its InferenceRequest carries them:
    the client's, and what the API resolved when it accepted the job."""

    base_model: Optional[str] = None
    """The Hark base model to decode with (`speech.choose`); the container's default when unset."""
    custom_model_uri: Optional[str] = None
    """Where the custom model's artifact is (s3://), when `custom_model_id` chose one."""
    max_audio_s: Optional[float] = Field(default=None, gt=0)
    """Longer audio is refused (the synchronous endpoints' cap)."""

    def for_container(self) -> "JobOptions":
        """The options without what only the API needs (the webhook's secret stays out of S3)."""
        return self.model_copy(
            update={"webhook_url": None, "webhook_auth_header_name": None, "webhook_auth_header_value": None}
        )
