"""Which of a customer's phrases were plausibly said in a window: thousands of phrases, cheaply.

A first, unbiased decode mishears a name as ordinary words ("Kefka behind Celiam" for "Kafka
behind Cilium"). Every span of one to four words that holds a doubtful word (low confidence,
or not a common English word) is compared with every phrase twice, by spelling and by sound
(metaphone), with rapidfuzz's C matrix scorer; the best-matching phrases go to that window's
second decode only. A list of 1,000 phrases therefore costs the decoder no more than one of
ten, and a window where no phrase is plausible is not re-decoded for phrases at all.
Settings chosen on the synthetic devops customer (bench/custom_model.py), not on the others.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

import jellyfish
import numpy as np
from rapidfuzz import fuzz, process

from sagemaker_jobs.asr.custom.mining import zipf
from sagemaker_jobs.asr.result import Word

MIN_SCORE = 65.0
"""Mean of spelling and sound similarity (0-100) for a phrase to count as heard."""
DOUBTFUL_CONFIDENCE = 0.5
COMMON_ZIPF = 4.0
"""A confidently heard word this common is what was said; spans of only such words are skipped."""
MAX_SPAN_WORDS = 4
_EDGE = ".,?!;:\"'()[]"


def letters(text: str) -> str:
    """Letters and digits only, case-folded: how a spelling is compared ("Argo-CD" is "argocd")."""
    return "".join(c for c in text.casefold() if c.isalnum())


@lru_cache(maxsize=65536)
def sound(text: str) -> str:
    """A phonetic key: the metaphone of each word or number run."""
    return "".join(jellyfish.metaphone(part) for part in re.findall(r"[a-z]+|\d+", text.casefold()))


def doubtful_words(words: Sequence[Word]) -> list[bool]:
    """Which words a decode may have misheard: heard with low confidence, or not a common word."""
    return [w.confidence < DOUBTFUL_CONFIDENCE or zipf(w.text.strip(_EDGE)) < COMMON_ZIPF for w in words]


class PhraseSpotter:
    def __init__(self, phrases: Sequence[str]) -> None:
        self.phrases = list(dict.fromkeys(p for p in phrases if letters(p)))
        self._letters = [letters(p) for p in self.phrases]
        self._sounds = [sound(p) for p in self.phrases]

    def spot(self, words: Sequence[Word], limit: int = 12, min_score: float = MIN_SCORE) -> list[str]:
        """Up to `limit` phrases that plausibly occur among `words`, most likely first."""
        if not self.phrases or not words:
            return []
        bare = [w.text.strip(_EDGE) for w in words]
        doubtful = doubtful_words(words)
        spans = [
            " ".join(bare[i : i + n])
            for n in range(1, MAX_SPAN_WORDS + 1)
            for i in range(len(bare) - n + 1)
            if any(doubtful[i : i + n])
        ]
        if not spans:
            return []
        spelling = process.cdist([letters(s) for s in spans], self._letters, scorer=fuzz.ratio, dtype=np.uint8)
        by_sound = process.cdist([sound(s) for s in spans], self._sounds, scorer=fuzz.ratio, dtype=np.uint8)
        best = (spelling.astype(np.float32) + by_sound.astype(np.float32)).max(axis=0) / 2
        order = np.argsort(-best, kind="stable")[:limit]
        return [self.phrases[i] for i in order if best[i] >= min_score]
