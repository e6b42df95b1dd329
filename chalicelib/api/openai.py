"""OpenAI's audio transcription API (``POST /v1/audio/transcriptions``), so that the official
``openai`` SDK works against Hark with only ``base_url`` and ``api_key`` set.

    model                      "whisper-1" (or any name that is not a model id) for the base
                               engine, or the id of one of the tenant's ready custom models
    prompt, keywords           vocabulary: the prompt is read as a comma- or line-separated
                               list of terms, which is how it is mostly used with Whisper
    language                   ISO-639-1; the bundled model is English-only
    response_format            json | text | srt | vtt | verbose_json
    timestamp_granularities[]  word and/or segment (verbose_json only, as OpenAI's)

Errors have OpenAI's shape, ``{"error": {"message", "type", "param", "code"}}``.
"""
from __future__ import annotations

import re
from typing import Any, Literal, Optional

from pydantic import BaseModel, Field, ValidationError

from chalicelib.api.multipart import FormField
from chalicelib.exports import segments, subtitles
from chalicelib.services.transcripts import TranscriptView
from hark_core.errors import BadRequest, describe

ResponseFormat = Literal["json", "text", "srt", "vtt", "verbose_json"]
_LIST_FIELDS = {"timestamp_granularities", "keywords", "include"}
_MODEL_ID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


class TranscriptionForm(BaseModel):
    model_config = {"extra": "forbid"}

    model: str = Field(min_length=1, max_length=64)
    prompt: Optional[str] = Field(default=None, max_length=4000)
    keywords: list[str] = Field(default_factory=list, max_length=1000)
    language: Optional[str] = Field(default=None, max_length=8)
    response_format: ResponseFormat = "json"
    temperature: float = 0.0
    timestamp_granularities: list[Literal["word", "segment"]] = Field(default_factory=list)
    # Sent by some clients with defaults that need nothing from Hark.
    include: list[str] = Field(default_factory=list)
    chunking_strategy: Optional[str] = None
    stream: Optional[bool] = None

    @property
    def custom_model_id(self) -> Optional[str]:
        return self.model if _MODEL_ID.match(self.model) else None

    def transcript_options(self) -> dict[str, Any]:
        """The same request as a body of POST /v2/transcript (without its audio_url)."""
        if self.stream:
            raise BadRequest("stream=true is not offered here; use the streaming API (/v3/ws) for live audio")
        if self.temperature != 0:
            raise BadRequest("temperature must be 0: Hark decodes with beam search")
        terms = [t.strip() for t in re.split(r"[,\n]", self.prompt or "") if t.strip()]
        options: dict[str, Any] = {"custom_model_id": self.custom_model_id}
        if terms or self.keywords:
            options["keyterms_prompt"] = [t[:100] for t in [*self.keywords, *terms]]
        if self.language:
            options["language_code"] = self.language
        return {k: v for k, v in options.items() if v is not None}


def parse(fields: list[FormField]) -> tuple[bytes, TranscriptionForm]:
    """(the audio, the form) from the multipart fields."""
    audio = [f for f in fields if f.name == "file"]
    if len(audio) != 1 or not audio[0].data:
        raise BadRequest("send exactly one non-empty 'file' field with the audio")
    values: dict[str, Any] = {}
    for f in fields:
        if f.name == "file":
            continue
        name = f.name.removesuffix("[]")
        if name in _LIST_FIELDS:
            values.setdefault(name, []).append(f.text)
        else:
            values[name] = f.text
    try:
        return audio[0].data, TranscriptionForm.model_validate(values)
    except ValidationError as e:
        raise BadRequest(describe(e)) from e


def render(view: TranscriptView, form: TranscriptionForm) -> tuple[str, Any]:
    """(content type, body) of the answer in the requested ``response_format``."""
    text = view.result.text if view.result else ""
    if form.response_format == "json":
        return "application/json", {"text": text}
    if form.response_format == "text":
        return "text/plain", text
    if form.response_format in ("srt", "vtt"):
        return "text/plain", subtitles.render(form.response_format, view.words)
    verbose: dict[str, Any] = {
        "task": "transcribe",
        "language": "english" if view.record.language_code in (None, "en", "en_us") else view.record.language_code,
        "duration": float(view.record.audio_duration or 0.0),
        "text": text,
        "usage": {"type": "duration", "seconds": float(view.record.audio_duration or 0.0)},
    }
    granularities = set(form.timestamp_granularities) or {"segment"}
    if "segment" in granularities:
        verbose["segments"] = [
            {
                "id": i,
                "seek": 0,
                "start": s.start / 1000,
                "end": s.end / 1000,
                "text": s.text,
                # Whisper internals that Hark's engine does not keep; neutral values.
                "tokens": [],
                "temperature": 0.0,
                "avg_logprob": 0.0,
                "compression_ratio": 1.0,
                "no_speech_prob": 0.0,
            }
            for i, s in enumerate(segments.sentences(view.words))
        ]
    if "word" in granularities:
        verbose["words"] = [{"word": w.text, "start": w.start / 1000, "end": w.end / 1000} for w in view.words]
    return "application/json", verbose


def error_body(status: int, message: str) -> dict[str, Any]:
    kind = "invalid_request_error" if status < 500 else "server_error"
    if status == 401:
        kind = "authentication_error"
    return {"error": {"message": message, "type": kind, "param": None, "code": None}}
