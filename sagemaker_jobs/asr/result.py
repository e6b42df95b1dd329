"""What a transcription returns, and its JSON form (the inference container's response body)."""

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Word:
    text: str
    start_ms: int
    end_ms: int
    confidence: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "start": self.start_ms,
            "end": self.end_ms,
            "confidence": self.confidence,
        }


@dataclass(frozen=True)
class TranscriptionResult:
    text: str
    words: tuple[Word, ...]
    confidence: float
    """Mean probability of the words, 0 when there are none."""
    audio_duration_s: float
    language_code: str
    """As AssemblyAI spells it: "en_us" for English, otherwise the ISO 639-1 code."""
    model_name: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "words": [word.to_dict() for word in self.words],
            "confidence": self.confidence,
            "audio_duration": self.audio_duration_s,
            "language_code": self.language_code,
            "model": self.model_name,
        }
