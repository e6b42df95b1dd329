"""What a transcription returns, and its JSON form (the inference container's response body)."""

from dataclasses import dataclass
from typing import Any, Optional


@dataclass(frozen=True)
class Word:
    text: str
    start_ms: int
    end_ms: int
    confidence: float
    speaker: Optional[str] = None
    """"A", "B", ... when speaker labels were asked for."""

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "text": self.text,
            "start": self.start_ms,
            "end": self.end_ms,
            "confidence": self.confidence,
        }
        if self.speaker is not None:
            out["speaker"] = self.speaker
        return out


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
    language_confidence: float = 1.0
    """The detector's probability for `language_code` (always 1 for an English-only model)."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "words": [word.to_dict() for word in self.words],
            "confidence": self.confidence,
            "audio_duration": self.audio_duration_s,
            "language_code": self.language_code,
            "language_confidence": self.language_confidence,
            "model": self.model_name,
        }
