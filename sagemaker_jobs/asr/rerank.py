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
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sagemaker_jobs.asr.batch import attended_output

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

    def __init__(self, model: Any, workers: int = 1) -> None:
        self._model = model
        self._local = threading.local()
        # Aligns of one decode are independent: with several decoders (CTranslate2's
        # inter_threads) they run side by side, so a lone request's scoring takes half the time
        # on two (5 aligns of an 11 s clip, one thread each: 0.27-0.30 s one by one, 0.15 s on
        # two; as one batched call, 0.44-0.58 s).
        self._aligners = ThreadPoolExecutor(workers, thread_name_prefix="align") if workers > 1 else None

    def align_each(self, features: Any, start_sequence: Sequence[int], texts: Sequence[Any], frames: int) -> list[Any]:
        """`align` of each of `texts` (a list of token lists per call) against the same
        `features`, side by side on the model's decoders: one result list per text."""
        def one(tokens: Any) -> Any:
            return self._model.align(features, start_sequence, tokens, frames)

        if self._aligners is None or len(texts) < 2:
            return [one(tokens) for tokens in texts]
        return list(self._aligners.map(one, texts))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._model, name)

    @contextmanager
    def reranking(
        self,
        start_sequence: Sequence[int] | None,
        end_of_text: int,
        items: Sequence[bool] | None = None,
        timestamp_begin: int | None = None,
    ) -> Iterator[None]:
        """`start_sequence` (the decoder's start tokens without any prompt), or None for off.
        `items`: in a batch, which of its items to re-rank (those decoded with hotwords, as a
        decode of its own would be); None: every item. `timestamp_begin` (the tokenizer's first
        timestamp token): the hypotheses are scored against the encoder output up to a second
        past their last timestamp (`attended`), not the whole window; None: the whole window."""
        active = (list(start_sequence), end_of_text, items, timestamp_begin) if start_sequence else None
        self._local.active = active
        try:
            yield
        finally:
            self._local.active = None

    def generate(self, features: Any, prompts: Any, **kwargs: Any) -> Any:
        active = getattr(self._local, "active", None)
        beam = kwargs.get("beam_size", 1)
        if active is None or beam < 2:
            return self._model.generate(features, prompts, **kwargs)
        start_sequence, end_of_text, items, timestamp_begin = active
        chosen = [True] * len(prompts) if items is None else list(items)
        if not any(chosen):
            return self._model.generate(features, prompts, **kwargs)
        results = self._model.generate(features, prompts, **{**kwargs, "num_hypotheses": beam})
        scored_against = attended(features, results, timestamp_begin) if timestamp_begin is not None else features
        orders = self._orders(scored_against, results, chosen, start_sequence, end_of_text)
        return [
            RerankedResult(
                sequences_ids=[list(result.sequences_ids[i]) for i in order],
                scores=[result.scores[i] for i in order],
                no_speech_prob=result.no_speech_prob,
            )
            for result, order in zip(results, orders)
        ]

    def _orders(
        self, features: Any, results: Sequence[Any], chosen: Sequence[bool], start_sequence: list[int], end_of_text: int
    ) -> list[list[int]]:
        """Each result's hypotheses, best first by both opinions. The k-th hypotheses of every
        item are scored in one batched `align` (an item with nothing to score there gets a
        one-token stand-in whose score is not used), so a batch costs `beam` aligns, not
        `beam` per item."""
        hypotheses = [[[t for t in ids if t < end_of_text] for ids in r.sequences_ids] for r in results]
        # An empty hypothesis has no words to score: such an item keeps the beam's order.
        scored = [c and len(h) >= 2 and all(h) for c, h in zip(chosen, hypotheses)]
        combined: list[list[float]] = [list(r.scores) for r in results]
        frames = 2 * features.shape[1]  # mel frames of the window (the encoder halves them)
        ranks = []  # (k, which items have a k-th hypothesis, their tokens)
        for k in range(max((len(h) for h, s in zip(hypotheses, scored) if s), default=0)):
            here = [s and k < len(h) for h, s in zip(hypotheses, scored)]
            if any(here):
                ranks.append((k, here, [h[k] if on else [end_of_text - 1] for h, on in zip(hypotheses, here)]))
        alignments = self.align_each(features, start_sequence, [tokens for _, _, tokens in ranks], frames)
        for (k, here, tokens), aligned in zip(ranks, alignments):
            for item, on in enumerate(here):
                if on:
                    probs = aligned[item].text_token_probs
                    unprompted = sum(math.log(max(p, _FLOOR)) for p in probs) / len(tokens[item])
                    combined[item][k] += SECOND_OPINION_WEIGHT * unprompted
        return [sorted(range(len(c)), key=lambda i: -c[i]) if s else list(range(len(c))) for c, s in zip(combined, scored)]


def attended(features: Any, results: Sequence[Any], timestamp_begin: int) -> Any:
    """The encoder output (batch x positions x width) for the audio up to the last
    timestamp any hypothesis gave, cut as `Engine.log_likelihoods` cuts it (`batch.attended_output`:
    a second after, at least 10 s): what the hypotheses' words were heard in. An align's cost grows
    with the positions it attends to, and in a short clip's window most are padding (tiny.en int8,
    one thread, a 6 s clip: 33 ms an align over the whole window, 15 ms over 10 s). The whole
    output when a hypothesis has no timestamp.

    Chosen on the tuning sets (lab, paired, same engine, 2026-12-07; against no model, then the
    decode time against no model's): devops text model -30.3 -> -30.7 %, 1.72 -> 1.64x; Twitter
    clips -17.2 -> -18.9 %, 1.67 -> 1.61x; devops 1,000 phrases -16.2 % both, 1.93 -> 1.80x.
    Reported on the others (same run): pharmacy's 30 terms -37.5 % both (spoken terms 0.80 ->
    0.82), 2.06 -> 1.88x; brands -31.5 -> -31.9 %; vet -17.5 -> -21.4 %; Amazon and LibriSpeech
    the same WER (one clip of each changed), 2.22 -> 2.08x and 1.53 -> 1.48x."""
    last = 0  # in encoder positions of 20 ms, two mel frames each
    for result in results:
        for ids in result.sequences_ids:
            stamps = [t - timestamp_begin for t in ids if t >= timestamp_begin]
            if not stamps:
                return features
            last = max(last, max(stamps))
    return attended_output(features, 2 * last)
