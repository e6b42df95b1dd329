"""What the services are asked: the API's request bodies and queries that a service takes, parsed
and checked (the handlers in app.py parse them; the drop folder parses its sidecars the same way)."""

from __future__ import annotations

from typing import Annotated, Any, Optional

from pydantic import Field, ValidationError

from hark_core.errors import BadRequest, UnsupportedFeature, describe
from hark_core.options import StrictModel, TranscriptOptions
from hark_core.records import Status

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


class TranscriptRequest(TranscriptOptions):
    """``POST /v2/transcript``: the audio and its options."""

    audio_url: str = Field(min_length=1, max_length=4096)
    # The official SDK drops fields it does not know, so a custom model id sent as
    # AssemblyAI's `domain` selects the model too.
    domain: Optional[str] = Field(default=None, max_length=64)

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


class ListParams(StrictModel):
    limit: int = Field(default=10, ge=1, le=200)
    status: Optional[Status] = None
    before_id: Optional[str] = Field(default=None, max_length=64)
    after_id: Optional[str] = Field(default=None, max_length=64)
    created_on: Optional[str] = Field(default=None, pattern=r"^\d{4}-\d{2}-\d{2}$")
    throttled_only: Optional[bool] = None


class ModelRequest(StrictModel):
    name: str = Field(min_length=1, max_length=128)
    description: Optional[str] = Field(default=None, max_length=2000)
    texts: list[str] = Field(default_factory=list, max_length=20_000)
    phrases: list[Annotated[str, Field(min_length=1, max_length=200)]] = Field(default_factory=list, max_length=10_000)
    adapt_decoder: Optional[bool] = None
    """Also fine-tune the speech model's decoder on the text, spoken (minutes of training more);
    unset takes the service's default."""


class ModelListParams(StrictModel):
    limit: int = Field(default=10, ge=1, le=200)
    status: Optional[str] = Field(default=None, pattern="^(queued|training|ready|error)$")
    before_id: Optional[str] = Field(default=None, max_length=64)
    after_id: Optional[str] = Field(default=None, max_length=64)
