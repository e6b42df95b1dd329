"""What a transcription returns; `to_contract()` is the inference container's response body
(`hark_core.inference.InferenceResult`). Words are the contract's `Word` (times in ms)."""

from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Optional

from hark_core.inference import Entity as FoundEntity
from hark_core.inference import InferenceResult, Word
from sagemaker_jobs.asr.timing import in_order

__all__ = ["Entity", "TranscriptionResult", "Word", "decoder_words", "mean_confidence"]

_CONTINUES = "-'’"
"""What a word's continuation starts with when it joins it without a space ("follow-up")."""


def mean_confidence(words: Iterable[Word]) -> float:
    """The mean of the words' probabilities; 0.0 for no words."""
    confidences = [w.confidence for w in words]
    return sum(confidences) / len(confidences) if confidences else 0.0


def decoder_words(pieces: Iterable[tuple[str, float, float, float]]) -> tuple[Word, ...]:
    """Words from the decoder's (text, start s, end s, probability), as the text has them.

    faster-whisper gives "follow-up" as "follow" and "-up" (the hyphen is a token of its own,
    and its words begin at tokens with a leading space, merging punctuation forward): a piece
    that does not start with a space and starts with a joining mark continues the word before."""
    words: list[Word] = []
    for text, start, end, probability in pieces:
        word = Word(text=text.strip(), start=round(start * 1000), end=round(end * 1000), confidence=float(probability))
        if words and word.text[:1] in _CONTINUES and word.text and not text[:1].isspace():
            last = words[-1]
            word = Word(last.text + word.text, last.start, word.end, min(last.confidence, word.confidence))
            words[-1] = word
        else:
            words.append(word)
    return tuple(words)


@dataclass(frozen=True)
class Entity:
    """Personal data found in the words (`entity_detection`), under AssemblyAI's type names;
    `first_word`..`last_word` index the words it covers."""

    entity_type: str
    text: str
    start: int
    end: int
    first_word: int
    last_word: int
    alternatives: tuple[str, ...] = ()
    """Other types it may be, likeliest first (a nine-digit number heard without its context:
    a social security number, or an account); redaction under a policy of one of them takes it."""

    def to_contract(self) -> FoundEntity:
        return FoundEntity(entity_type=self.entity_type, text=self.text, start=self.start, end=self.end)


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

    def ordered(self) -> "TranscriptionResult":
        """This result with word times that read in order (`timing.in_order`). Not applied where
        the engine builds results: the custom-model passes cut windows and score edits by the
        decoder's own times. The container orders a result once decoding is done, before speaker
        labels and PII (a bleep needs an entity's end after its start), and the contract again."""
        return replace(self, words=in_order(self.words, round(self.audio_duration_s * 1000)))

    def to_contract(self) -> InferenceResult:
        return InferenceResult(
            text=self.text,
            words=list(self.ordered().words),
            confidence=self.confidence,
            audio_duration=self.audio_duration_s,
            language_code=self.language_code,
            language_confidence=self.language_confidence,
            model=self.model_name,
            audio_channels=self.audio_channels,
            entities=[e.to_contract() for e in self.entities] if self.entities is not None else None,
        )
