"""Batching across requests: concurrent short invocations decoded as one CTranslate2 batch.

The async endpoint hands an instance up to `InvocationsPerInstance` requests at once. Each
short one (no custom model, no per-request phrases, at most `max_audio_s`) is put in this queue
instead of waiting its turn for the engine; a worker thread takes everything queued when the
engine is free and decodes it as one batch (`Engine.transcribe_many`), each item with its own
options. There is one worker per decode the engine runs side by side (on a CPU, one per core:
`sagemaker_jobs.asr.layout`). A request that arrives at an idle engine is decoded at once (no
waiting for company); requests that arrive while the batches run form the next one. `max_wait_s` > 0 holds a lone request that long for others to join, for a GPU where a
fuller batch is nearly free.

A request marked `first` (its tenant had nothing else at the endpoint: see fair sharing in
chalicelib/orchestration/admission.py) goes in the next batch, with requests of its own tenant
only: behind one tenant's burst another tenant's file then waits for the batch that is running,
not for a larger batch of the burst's clips as well. A tenant alone still gets full batches.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from contextlib import AbstractContextManager
from dataclasses import dataclass

import numpy as np

from sagemaker_jobs.asr.engine import DecodeOptions, Engine
from sagemaker_jobs.asr.result import TranscriptionResult

logger = logging.getLogger("hark.inference")


@dataclass(frozen=True)
class Turn:
    """Whose request it is, and whether its tenant had nothing else at the endpoint."""

    tenant: str = ""
    first: bool = False


@dataclass(frozen=True, eq=False)
class _Pending:
    samples: np.ndarray
    options: DecodeOptions
    future: Future[TranscriptionResult]
    turn: Turn


class BatchQueue:
    def __init__(
        self,
        engine: Engine,
        engine_lock: AbstractContextManager[object],
        max_batch: int = 8,
        max_wait_s: float = 0.0,
        clock: Callable[[], float] = time.monotonic,
        workers: int = 1,
    ) -> None:
        self._engine = engine
        self._engine_lock = engine_lock
        self._max_batch = max_batch
        self._max_wait_s = max_wait_s
        self._clock = clock
        self._pending: list[_Pending] = []
        self._ready = threading.Condition()
        # One batch at a time per decode the engine runs side by side (`EngineSettings.workers`).
        for index in range(max(1, workers)):
            threading.Thread(target=self._run, name=f"batch-queue-{index}", daemon=True).start()

    def transcribe(
        self, samples: np.ndarray, options: DecodeOptions = DecodeOptions(), turn: Turn = Turn()
    ) -> TranscriptionResult:
        """Blocks until this request's batch is decoded; raises what its decode raised."""
        future: Future[TranscriptionResult] = Future()
        with self._ready:
            self._pending.append(_Pending(samples, options, future, turn))
            self._ready.notify()
        return future.result()

    def _run(self) -> None:
        while True:
            batch = self._next_batch()
            try:
                with self._engine_lock:
                    started = time.perf_counter()
                    results = self._engine.transcribe_many([(p.samples, p.options) for p in batch], self._max_batch)
                logger.info(
                    "decoded a batch of %d (%.1f s of audio) in %.2f s",
                    len(batch),
                    sum(len(p.samples) for p in batch) / 16000,
                    time.perf_counter() - started,
                )
            except Exception as error:  # every waiting request hears of it; the worker goes on
                for pending in batch:
                    pending.future.set_exception(error)
                continue
            for pending, result in zip(batch, results):
                pending.future.set_result(result)

    def _next_batch(self) -> list[_Pending]:
        with self._ready:
            while not self._pending:
                self._ready.wait()
            deadline = self._clock() + self._max_wait_s
            while len(self._pending) < self._max_batch and (left := deadline - self._clock()) > 0:
                self._ready.wait(left)
            ahead = {item.turn.tenant for item in self._pending if item.turn.first}
            candidates = [item for item in self._pending if item.turn.tenant in ahead] or self._pending
            # One beam per batch: the first request's; others with another beam wait for the next.
            beam = candidates[0].options.beam_size
            batch = [item for item in candidates if item.options.beam_size == beam][: self._max_batch]
            self._pending = [item for item in self._pending if not any(item is taken for taken in batch)]
            return batch
