"""AssemblyAI's v3 streaming protocol: the connection's query parameters, the messages a
client sends and the ones Hark answers with, and the close codes (the SDK names them).

    client → Hark   binary frames of audio; {"type": "Terminate" | "ForceEndpoint" |
                    "KeepAlive" | "UpdateConfiguration", ...} as text frames
    Hark → client   Begin, then Turn (partial, end of turn, and formatted), Termination
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Literal, Optional

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from sagemaker_jobs.asr import speech_models

# Close codes, as the official SDK's RealTimeErrorCodes names them.
NORMAL = 1000
SERVER_ERROR = 3005
TOO_MANY_SESSIONS = 3009
INPUT_INVALID = 3006
CHUNK_DURATION = 3007
BAD_SAMPLE_RATE = 4000
NOT_AUTHORIZED = 4001
TOO_FAST = 4029
IDLE = 4031
INVALID_JSON = 4100
INVALID_SCHEMA = 4101

SAMPLE_RATES = range(8_000, 48_001)


class ProtocolError(Exception):
    """Ends the session with ``code`` and ``reason`` (the close frame the client sees)."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason[:120]  # a close reason must fit in 123 bytes


class TurnSettings(BaseModel):
    """What UpdateConfiguration may change during a session."""

    model_config = ConfigDict(extra="ignore")

    # The defaults are AssemblyAI's documented ones (its streaming spec).
    end_of_turn_confidence_threshold: float = Field(default=0.4, ge=0, le=1)
    """a turn whose text reads as finished at least this surely ends at min_turn_silence"""
    min_turn_silence: int = Field(default=400, ge=0, le=10_000)
    """ms of silence that end a turn whose text reads as finished (ends a sentence)"""
    max_turn_silence: int = Field(default=1280, ge=0, le=30_000)
    """ms of silence that end a turn in any case"""
    format_turns: bool = False
    keyterms_prompt: list[str] = Field(default_factory=list, max_length=100)
    vad_threshold: float = Field(default=0.4, ge=0, le=1)
    """speech probability (Silero VAD) at which a frame starts a turn"""

    @field_validator("keyterms_prompt", mode="before")
    @classmethod
    def json_list(cls, value: Any) -> Any:
        # The SDK sends list parameters JSON-encoded in the query string.
        return json.loads(value) if isinstance(value, str) else value


SPEECH_MODELS = {
    "universal-streaming-english": speech_models.TINY_EN,
    "universal-streaming-multilingual": speech_models.BASE,
    "whisper-rt": speech_models.BASE,
}
"""AssemblyAI's streaming models, and the Hark model that plays each one's part."""


class SessionParams(TurnSettings):
    sample_rate: int
    speech_model: Literal["universal-streaming-english", "universal-streaming-multilingual", "whisper-rt"] = (
        "universal-streaming-english"
    )
    language_detection: bool = False
    """Each final turn's language, detected (multilingual model only)."""
    encoding: Literal["pcm_s16le", "pcm_mulaw"] = "pcm_s16le"
    custom_model_id: Optional[str] = Field(default=None, max_length=64)
    inactivity_timeout: int = Field(default=30, ge=5, le=3600)
    """seconds without any message before the session is closed as idle"""

    @classmethod
    def from_query(cls, query: dict[str, str]) -> "SessionParams":
        rate = query.get("sample_rate", "")
        if not rate.isdigit() or int(rate) not in SAMPLE_RATES:
            raise ProtocolError(BAD_SAMPLE_RATE, f"sample_rate must be an integer from 8000 to 48000, not {rate!r}")
        try:
            params = cls.model_validate(query)
        except (ValidationError, json.JSONDecodeError) as e:
            raise ProtocolError(INPUT_INVALID, _describe(e)) from e
        if params.language_detection and params.base_model == speech_models.TINY_EN:
            raise ProtocolError(INPUT_INVALID, "language_detection needs speech_model universal-streaming-multilingual")
        return params

    @property
    def base_model(self) -> str:
        return SPEECH_MODELS[self.speech_model]


def parse_message(text: str) -> dict[str, Any]:
    try:
        message = json.loads(text)
    except json.JSONDecodeError as e:
        raise ProtocolError(INVALID_JSON, f"a text frame is not JSON: {e.msg}") from e
    if not isinstance(message, dict) or message.get("type") not in ("Terminate", "ForceEndpoint", "KeepAlive", "UpdateConfiguration"):
        raise ProtocolError(INVALID_SCHEMA, "a text frame must be a Terminate, ForceEndpoint, KeepAlive or UpdateConfiguration message")
    return message


@dataclass(frozen=True)
class StreamWord:
    start: int
    end: int
    text: str
    confidence: float
    word_is_final: bool


def begin(session_id: str, expires_at: int) -> dict[str, Any]:
    return {"type": "Begin", "id": session_id, "expires_at": expires_at}


def turn(
    order: int,
    transcript: str,
    words: list[StreamWord],
    end_of_turn: bool,
    confidence: float,
    formatted: bool,
    language: Optional[tuple[str, float]] = None,
) -> dict[str, Any]:
    """A Turn message; `language` (AssemblyAI's code, confidence) on final turns with language_detection."""
    detected = {"language_code": language[0], "language_confidence": round(language[1], 4)} if language else {}
    return {
        "type": "Turn",
        "turn_order": order,
        "turn_is_formatted": formatted,
        "end_of_turn": end_of_turn,
        "transcript": transcript,
        "end_of_turn_confidence": round(confidence, 4),
        "words": [w.__dict__ for w in words],
        **detected,
    }


def termination(audio_s: float, session_s: float) -> dict[str, Any]:
    return {"type": "Termination", "audio_duration_seconds": round(audio_s), "session_duration_seconds": round(session_s)}


def _describe(error: Exception) -> str:
    # The API's own wording for a validation error, so both services read alike.
    from hark_core.errors import describe

    return describe(error) if isinstance(error, ValidationError) else str(error)
