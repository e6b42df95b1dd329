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
    """"A", "B", ... when speaker labels were asked for; the channel's number with multichannel."""
    channel: Optional[str] = None
    """"1", "2", ... with multichannel: the audio channel the word was heard on."""

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "text": self.text,
            "start": self.start_ms,
            "end": self.end_ms,
            "confidence": self.confidence,
        }
        if self.speaker is not None:
            out["speaker"] = self.speaker
        if self.channel is not None:
            out["channel"] = self.channel
        return out


@dataclass(frozen=True)
class Entity:
    """Personal data found in the words (`entity_detection`), under AssemblyAI's type names;
    `first_word`..`last_word` index the words it covers."""

    entity_type: str
    text: str
    start_ms: int
    end_ms: int
    first_word: int
    last_word: int
    alternatives: tuple[str, ...] = ()
    """Other types it may be, likeliest first (a nine-digit number heard without its context:
    a social security number, or an account); redaction under a policy of one of them takes it."""

    def to_dict(self) -> dict[str, Any]:
        return {"entity_type": self.entity_type, "text": self.text, "start": self.start_ms, "end": self.end_ms}


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
    audio_channels: Optional[int] = None
    """With multichannel: how many channels were transcribed."""
    entities: Optional[tuple[Entity, ...]] = None
    """With entity_detection: what was found, unredacted."""

    def to_dict(self) -> dict[str, Any]:
        out = {
            "text": self.text,
            "words": [word.to_dict() for word in self.words],
            "confidence": self.confidence,
            "audio_duration": self.audio_duration_s,
            "language_code": self.language_code,
            "language_confidence": self.language_confidence,
            "model": self.model_name,
        }
        if self.audio_channels is not None:
            out["audio_channels"] = self.audio_channels
        if self.entities is not None:
            out["entities"] = [entity.to_dict() for entity in self.entities]
        return out
