"""Biased decoding, second opinion: the hotword-prompted beam's hypotheses re-ranked with the
model's own UNPROMPTED probability of each.

A custom model's hotwords make Whisper spell the customer's names, but the prompt also nudges
words it has nothing to do with ("we are thrilled" becomes "we have thrilled"). Each
hypothesis of the prompted beam is therefore scored twice: its prompted score (what the beam
ranked it by, per token) plus the mean log-probability the decoder gives its words with no
prompt at all, which is what faster-whisper computes anyway for word timestamps
(`Whisper.align`). A name the audio supports survives both; a perturbation the audio does not
support loses. Measured on the dev calls (bench/custom_model.py): on one half of the Twitter
call WER 4.01 % -> 3.68 %, unchanged on the other half and on AMZN, for about 10 % more
decode time. The weight of the second opinion is flat from 0.25 to 4 on those calls; 1 (a
plain product of the two) is used.

Only the prompted beam-search pass is re-ranked; temperature fallbacks (sampling), greedy
decodes and unbiased decodes are untouched, so without a custom model or per-request hints
decoding is exactly faster-whisper's.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

SECOND_OPINION_WEIGHT = 1.0
_FLOOR = 1e-10


@dataclass(frozen=True)
class RerankedResult:
    """Stands in for ctranslate2's WhisperGenerationResult: faster-whisper reads only these."""

    sequences_ids: list[list[int]]
    scores: list[float]
    no_speech_prob: float


class RerankingWhisper:
    """Wraps a `ctranslate2.models.Whisper`; while `reranking` is active on the calling
    thread, a beam-search `generate` returns its hypotheses best first by both opinions."""

    def __init__(self, model: Any) -> None:
        self._model = model
        self._local = threading.local()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._model, name)

    @contextmanager
    def reranking(self, start_sequence: Sequence[int] | None, end_of_text: int) -> Iterator[None]:
        """`start_sequence` (the decoder's start tokens without any prompt), or None for off."""
        self._local.active = (list(start_sequence), end_of_text) if start_sequence else None
        try:
            yield
        finally:
            self._local.active = None

    def generate(self, features: Any, prompts: Any, **kwargs: Any) -> Any:
        active = getattr(self._local, "active", None)
        beam = kwargs.get("beam_size", 1)
        if active is None or beam < 2 or len(prompts) != 1:
            return self._model.generate(features, prompts, **kwargs)
        start_sequence, end_of_text = active
        result = self._model.generate(features, prompts, **{**kwargs, "num_hypotheses": beam})[0]
        order = self._order(features, result, start_sequence, end_of_text)
        return [
            RerankedResult(
                sequences_ids=[list(result.sequences_ids[i]) for i in order],
                scores=[result.scores[i] for i in order],
                no_speech_prob=result.no_speech_prob,
            )
        ]

    def _order(self, features: Any, result: Any, start_sequence: list[int], end_of_text: int) -> list[int]:
        hypotheses = [[t for t in ids if t < end_of_text] for ids in result.sequences_ids]
        ranked = list(range(len(hypotheses)))
        if len(hypotheses) < 2 or not all(hypotheses):
            return ranked  # an empty hypothesis has no words to score: keep the beam's order
        frames = 2 * features.shape[1]  # mel frames of the window (the encoder halves them)
        combined = []
        for index, tokens in enumerate(hypotheses):
            aligned = self._model.align(features, start_sequence, [tokens], frames)[0]
            unprompted = sum(math.log(max(p, _FLOOR)) for p in aligned.text_token_probs) / len(tokens)
            combined.append(result.scores[index] + SECOND_OPINION_WEIGHT * unprompted)
        return sorted(ranked, key=lambda i: -combined[i])
