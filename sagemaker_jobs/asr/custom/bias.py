"""How strongly a request biases decoding, and the phrase string the decoder gets.

Kept apart from `apply` so that building a model (the training job) needs neither
faster-whisper nor the engine.
"""

from collections.abc import Sequence
from dataclasses import dataclass

BOOST_PARAMS = ("low", "default", "high")


@dataclass(frozen=True)
class BoostLevel:
    model_phrases: int
    """How many of the model's phrases go to the decoder (the request's own always go first)."""
    max_chars: int
    """Cap on the hotwords string (about 3-4 characters a token; half the context is 223 tokens)."""
    correction_confidence: float
    """Only a span whose least confident word is below this may be respelled."""
    correction_similarity: float
    """Minimum phonetic + spelling similarity (0-1) for a respelling."""
    doubtful_prior_nats: float | None = None
    """The prior a phrase put in place of words the decode doubted gets in `verify.confirm`
    (how much less likely than the decode's own text it may be); None: `verify.BONUS_NATS`, as
    every other substitution."""
    joint_pairs: bool = False
    """Also try two phrases that stand next to each other in the decode as one substitution
    ("Zentrix Omniflow" where the decode has "metric sum if low"): a name said next to another
    is likelier with its neighbour in place than alone (`verify.confirm`)."""


BOOST_LEVELS = {
    "low": BoostLevel(model_phrases=6, max_chars=200, correction_confidence=0.4, correction_similarity=0.88),
    "default": BoostLevel(model_phrases=20, max_chars=400, correction_confidence=0.6, correction_similarity=0.84),
    # `high` is a request's own statement that its words are said: a larger prior where the decode
    # itself doubted the words replaced, and neighbouring phrases tried together. Chosen on the
    # e2e word-boost clip decoded under other CPUs' numerics (CTranslate2's CT2_FORCE_CPU_ISA x
    # 1-4 threads: "Zentrix" in 11 of 12 instead of 6; the substitutions it needs cost 5-22 nats,
    # and in some only with its neighbour). What it costs, 30 terms as word_boost (lab, paired,
    # 2026-12-06; bench/README): recall up on every set, WER down on vet (36.4 -> 34.4 %), up on
    # devops (24.3 -> 25.3 %, sentences without terms 16.1 -> 19.6 %). `default` is unchanged.
    "high": BoostLevel(
        model_phrases=30,
        max_chars=600,
        correction_confidence=0.8,
        correction_similarity=0.8,
        doubtful_prior_nats=10.0,
        joint_pairs=True,
    ),
}


def format_prompt(phrases: Sequence[str], max_chars: int) -> str:
    """Phrases joined by commas, as many as fit in `max_chars`."""
    out: list[str] = []
    length = 0
    for phrase in phrases:
        if length + len(phrase) + 2 > max_chars and out:
            break
        out.append(phrase)
        length += len(phrase) + 2
    return ", ".join(out)[:max_chars]
