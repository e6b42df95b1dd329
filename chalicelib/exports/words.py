"""The run of words every export is built from (the words are the contract's `Word`)."""
from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Optional

from hark_core.inference import Word


@dataclass(frozen=True)
class Segment:
    """Consecutive words of the transcript: a sentence, a paragraph or a caption."""

    words: tuple[Word, ...]

    def __post_init__(self) -> None:
        if not self.words:
            raise ValueError("a segment has at least one word")

    @property
    def text(self) -> str:
        return " ".join(w.text for w in self.words)

    @property
    def start(self) -> int:
        return self.words[0].start

    @property
    def end(self) -> int:
        return self.words[-1].end

    @property
    def confidence(self) -> float:
        return sum(w.confidence for w in self.words) / len(self.words)

    @property
    def speaker(self) -> Optional[str]:
        """The speaker of most of the words (segments are cut at speaker changes, so all)."""
        labels = [w.speaker for w in self.words if w.speaker is not None]
        return Counter(labels).most_common(1)[0][0] if labels else None


def segments(words: Sequence[Word], breaks: Sequence[int]) -> list[Segment]:
    """`words` cut before each index in `breaks` (ascending, each in 1..len-1)."""
    if not words:
        return []
    bounds = [0, *breaks, len(words)]
    return [Segment(tuple(words[a:b])) for a, b in zip(bounds, bounds[1:])]
