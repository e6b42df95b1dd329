"""Word error rate as Hark reports it, in training's evaluation and in bench/custom_model.

Both sides are normalised with whisper_normalizer's EnglishTextNormalizer (references are
often edited text: "$0.04", "4.6%") and scored with corpus-level `jiwer`. A DOMAIN TERM is a
reference word, after normalisation, that has a letter and is not among wordfreq's 20,000 most
frequent English words; its error rate is the share of such words that the alignment does not
mark as correct.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import jiwer
from whisper_normalizer.english import EnglishTextNormalizer
from wordfreq import top_n_list

TOP_ENGLISH = 20000
_normalize = EnglishTextNormalizer()


@lru_cache(maxsize=1)
def _top_english() -> frozenset[str]:
    return frozenset(top_n_list("en", TOP_ENGLISH))


def normalize(text: str) -> str:
    return str(_normalize(text))


def is_domain_term(word: str) -> bool:
    return any(c.isalpha() for c in word) and word not in _top_english()


@dataclass(frozen=True)
class Score:
    wer: float
    words: int
    domain_terms: int
    domain_errors: int

    @property
    def domain_error_rate(self) -> float:
        return self.domain_errors / self.domain_terms if self.domain_terms else 0.0

    def __str__(self) -> str:
        terms = f"{self.domain_errors}/{self.domain_terms} = {self.domain_error_rate:6.2%}"
        return f"WER {self.wer:6.2%}  domain-term errors {terms}"


def score(references: Sequence[str], hypotheses: Sequence[str]) -> Score:
    """Corpus WER of `hypotheses` against `references` (pairs whose reference normalises to
    nothing are left out) and the domain-term errors."""
    pairs = [(normalize(r), normalize(h)) for r, h in zip(references, hypotheses)]
    pairs = [(r, h) for r, h in pairs if r.strip()]
    if not pairs:
        return Score(0.0, 0, 0, 0)
    out = jiwer.process_words([r for r, _ in pairs], [h for _, h in pairs])
    terms = errors = 0
    for ref_words, alignment in zip(out.references, out.alignments):
        correct_at: set[int] = set()
        for chunk in alignment:
            if chunk.type == "equal":
                correct_at.update(range(chunk.ref_start_idx, chunk.ref_end_idx))
        for i, word in enumerate(ref_words):
            if is_domain_term(word):
                terms += 1
                errors += i not in correct_at
    return Score(float(out.wer), sum(len(r) for r in out.references), terms, errors)


def relative_reduction(before: float, after: float) -> float:
    return (before - after) / before if before else 0.0
