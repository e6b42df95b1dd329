"""Phrases confirmed by the acoustic model: a spotted phrase replaces what was heard only when
Whisper itself finds the changed text about as likely for the audio.

A prompted decode still misses names it was given ("the wake up and to handle secrets" for "the
way Karpenter handles secrets", with Karpenter among the hotwords): beam search keeps the
sound-alike words it was already sure of. Here each phrase of a window gets the span of the
decode it most resembles (spelling and sound), the window's text with that span replaced is
scored by the decoder, teacher-forced, under a prompt of the phrases tried (`Engine.log_likelihoods`),
and the substitution stays when it scores within `BONUS_NATS` (less for a long list,
`bonus_nats`) of the decode's own text. A phrase that was not said scores far below (tens of
nats), so a long list of phrases costs alignments, not accuracy.

Chosen on the synthetic devops customer (bench/custom_model.py's tuning set): spoken-term recall
0.58 -> 0.70 with its 30-term list (lab); a bonus of 8 gave about the same, 4 is kept as the safer.
A request's `boost_param: high` raises it where the decode doubted the words, and tries
neighbouring phrases together (`bias.BOOST_LEVELS`).
"""

from __future__ import annotations

import math
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np
from rapidfuzz import fuzz

from sagemaker_jobs.asr.custom.corpus import words as split_words
from sagemaker_jobs.asr.custom.edits import SENTENCE_END, TranscriptEdits, bare, leading_punct, trailing_punct
from sagemaker_jobs.asr.custom.mining import rarity
from sagemaker_jobs.asr.custom.spotting import doubtful_words, letters, sound
from sagemaker_jobs.asr.result import TranscriptionResult, Word

BONUS_NATS = 4.0
"""How much less likely (natural log) than the decode's own text a substitution may be: the
prior that a customer's phrase is said, which the decoder's language model does not know."""
LIST_PRIOR_PHRASES = 100
"""Up to this many phrases in the list, `BONUS_NATS` as it is; beyond, less by the log of how many
times longer the list is (1.7 nats at 1,000): the more phrases there are, the less likely any one
of them is to be the one said here, and a long list offers a sound-alike for many common words.
Chosen on the devops customer with 1,000 phrases (lab, each confirmation's score kept: at 4 nats
6 right and 12 wrong substitutions accepted, at 1.7-2.3 nats 6 and 6, at 1.5 5 and 6); with 30
terms or a model from text (15-50 phrases) the bonus is unchanged."""
MIN_BONUS_NATS = 1.0
MIN_SIMILARITY = 50.0
"""Mean spelling and sound similarity (0-100) of a span to a phrase for it to be tried."""
MIN_RARITY = 1.5
"""Only phrases with a word general English barely knows are tried: the decoder tells "Jan" from
"John", and a bonus for a common name or an inflection ("differentiating") only overrides it
(measured on the Twitter call: both cost a word each)."""
MAX_CANDIDATES = 8
"""Each costs one teacher-forced pass of the decoder over the window."""


class Scorer(Protocol):
    def log_likelihoods(self, samples: np.ndarray, texts: Sequence[str], prompt: str | None = None) -> list[float]: ...


@dataclass(frozen=True)
class Candidate:
    phrase: str
    start: int
    length: int
    similarity: float


def bonus_nats(list_size: int, prior_nats: float = BONUS_NATS) -> float:
    """The prior a phrase of a list of `list_size` gets (`prior_nats`, less for a list longer
    than `LIST_PRIOR_PHRASES`)."""
    return max(MIN_BONUS_NATS, prior_nats - max(0.0, math.log(max(list_size, 1) / LIST_PRIOR_PHRASES)))


def confirm(
    scorer: Scorer,
    samples: np.ndarray,
    result: TranscriptionResult,
    phrases: Sequence[str],
    known: Collection[str] = (),
    *,
    prior_nats: float = BONUS_NATS,
    doubtful_prior_nats: float | None = None,
    joint_pairs: bool = False,
    guessed: Sequence[str] = (),
) -> TranscriptionResult:
    """`result` (of `samples`, at most 30 s) with the phrases the decoder confirms put in place
    of what it heard. Words that already spell a `known` phrase are never replaced; `known` is
    the whole list, whose length sets each phrase's prior (`bonus_nats` of `prior_nats`).
    `joint_pairs`: two candidates on neighbouring spans are also scored as one substitution
    with both priors (`bias.BoostLevel.joint_pairs`). `doubtful_prior_nats`: the prior instead
    for a span that holds a word the decode doubted (`spotting.doubtful_words`). `guessed`:
    phrases tried as well, but only in place of words the decode doubted (`best_spans`)."""
    words = list(result.words)
    candidates = best_spans(words, phrases, {letters(k) for k in (*known, *phrases, *guessed)}, guessed=guessed)
    if not candidates:
        return result
    size = len(known) or len(phrases)
    bonus = bonus_nats(size, prior_nats)
    if doubtful_prior_nats is None:
        doubtful, doubted = [False] * len(words), bonus
    else:
        doubtful, doubted = doubtful_words(words), bonus_nats(size, doubtful_prior_nats)

    def prior(c: Candidate) -> float:
        return doubted if any(doubtful[c.start : c.start + c.length]) else bonus

    options: list[tuple[Candidate, ...]] = [(c,) for c in candidates]
    if joint_pairs:
        options += [(a, b) for a in candidates for b in candidates if a.start + a.length == b.start]
    texts = [_text(words)] + [_substituted(words, *option) for option in options]
    # Scored under a prompt of the phrases tried, as a hotword decode would be: the decoder then
    # expects them, and a phrase that was said scores near the decode's own text.
    scores = scorer.log_likelihoods(samples, texts, prompt=", ".join(c.phrase for c in candidates))
    gains = sorted(
        ((score - scores[0] + sum(map(prior, option)), option) for score, option in zip(scores[1:], options)),
        key=lambda pair: -pair[0],
    )
    chosen: list[Candidate] = []
    taken: set[int] = set()
    for gain, option in gains:
        if gain <= 0:
            break
        span = {k for c in option for k in range(c.start, c.start + c.length)}
        if not span & taken:
            chosen.extend(option)
            taken |= span
    if not chosen:
        return result
    edits = TranscriptEdits(result)
    for candidate in sorted(chosen, key=lambda c: -c.start):  # right to left: indices stay valid
        edits.replace_span(candidate.start, candidate.length, candidate.phrase.split())
    return edits.result()


def best_spans(
    words: Sequence[Word], phrases: Sequence[str], keep: set[str], guessed: Sequence[str] = ()
) -> list[Candidate]:
    """For each phrase not already in `words`, the span most like it (1 word fewer to 2 more
    than the phrase), most similar first; words spelling one of `keep` ("Jan Peterson", itself
    a customer's name) are left alone. A `guessed` phrase (not spotted in this window) is tried
    only on a span that holds a word the decode doubted (`spotting.doubtful_words`)."""
    bare_words = [bare(w.text) for w in words]
    word_keys = [letters(w) for w in bare_words]
    spans = [(i, n, letters(" ".join(bare_words[i : i + n]))) for n in range(1, 5) for i in range(len(words) - n + 1)]
    present = {key for _, _, key in spans}
    protected = {k for i, n, key in spans if key and key in keep for k in range(i, i + n)}
    doubtful = doubtful_words(words) if guessed else []
    spotted = set(phrases)
    out = []
    for phrase in dict.fromkeys([*phrases, *guessed]):
        key = letters(phrase)
        if not key or key in present or max(map(rarity, split_words(phrase)), default=0.0) < MIN_RARITY:
            continue
        only_doubted = phrase not in spotted
        phrase_keys = [letters(w) for w in phrase.split()]
        size = len(phrase.split())
        best: Candidate | None = None
        for length in sorted({max(1, size - 1), size, size + 1, size + 2}):
            for start in range(len(words) - length + 1):
                if any(words[k].text.endswith(SENTENCE_END) for k in range(start, start + length - 1)):
                    continue  # never across a sentence boundary
                span = " ".join(bare_words[start : start + length])
                if not letters(span) or protected.intersection(range(start, start + length)):
                    continue
                if only_doubted and not any(doubtful[start : start + length]):
                    continue
                if _inflects(word_keys[start : start + length], phrase_keys):
                    continue  # "reaccelerate" for "reaccelerated": the decoder tells these apart
                similarity = (fuzz.ratio(letters(span), key) + fuzz.ratio(sound(span), sound(phrase))) / 2
                if similarity >= MIN_SIMILARITY and (best is None or similarity > best.similarity):
                    best = Candidate(phrase, start, length, similarity)
        if best:
            out.append(best)
    return sorted(out, key=lambda c: -c.similarity)[:MAX_CANDIDATES]


def _inflects(span: Sequence[str], phrase: Sequence[str]) -> bool:
    """True when a word of `span` is a word of `phrase` with another ending ("reaccelerate" and
    "reaccelerated"; not "turn" and "turnips"). Both as `letters` keys, word by word."""
    for a in span:
        for b in phrase:
            short, long = sorted((a, b), key=len)
            if len(short) >= 4 and long.startswith(short) and long[len(short) :] in _ENDINGS:
                return True
    return False


_ENDINGS = frozenset({"s", "es", "d", "ed", "ing", "er", "ers", "ly"})


def _text(words: Sequence[Word]) -> str:
    return " ".join(w.text for w in words)


def _substituted(words: Sequence[Word], *candidates: Candidate) -> str:
    texts = [w.text for w in words]
    for c in sorted(candidates, key=lambda c: -c.start):  # right to left: indices stay valid
        first, last = texts[c.start], texts[c.start + c.length - 1]
        texts[c.start : c.start + c.length] = [leading_punct(first) + c.phrase + trailing_punct(last)]
    return " ".join(texts)
