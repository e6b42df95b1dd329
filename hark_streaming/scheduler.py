"""One decoder for every live stream of a process: ends of turns first, partials last, batched.

Each stream's worker thread asks for a decode and waits for it (`DecodeScheduler.decode`).
Scheduler threads own the engine, one per decode it can run at once (`EngineSettings.workers`):
each takes the most urgent waiting request (an end-of-turn decode, then one started early in a
pause, then a partial; the oldest first) and with it every waiting request that can share its
CTranslate2 batch, and decodes them together (`Engine.transcribe_many`, each item with its own
options). On a CPU a batch of eight turns costs far less than eight decodes one after another;
on a GPU it is nearly free.

With more than one worker, partials never hold every worker: one is always left for ends of
turns, so a final turn never waits behind partials (with one worker it waits for at most the
partial batch that is running). On a CPU the streaming service runs one single-threaded
decode per core (`sagemaker_jobs.asr.layout`): a Whisper decode step is too small to
spread over cores (tiny.en, beam 5, a 7 s turn: 0.19 s on one thread, 0.25 s on two, 0.33 s on
CTranslate2's default four on a 2-core machine), and two decodes side by side let an end of
turn start while a partial runs.

What shares a batch: requests for the same engine and beam that decode plainly (no custom
model, no key terms, a known language). Those others run alone, in the same order of urgency:
their decode is a loop of its own (a custom model's second pass, language detection).

Back-pressure: a partial is dropped (its caller gets None and tries again later) when an
end-of-turn decode is waiting or when it has waited `PARTIAL_PATIENCE_S`; partials decode
greedily, without the temperature fallback. Every decode reads a trimmed encoder input (the
turn and a second of padding, at least 10 s, instead of 30 s: `batch.decode_windows`), as
accurate on turns and much cheaper. So a saturated process loses partials first and its ends
of turns wait for at most the batch that is running; beyond that the service refuses new
streams (`server.StreamingService.max_streams`).
"""
from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Optional

import numpy as np

from sagemaker_jobs.asr.audio import SAMPLE_RATE
from sagemaker_jobs.asr.engine import DecodeOptions, Engine
from sagemaker_jobs.asr.result import TranscriptionResult

logger = logging.getLogger(__name__)

PARTIAL_PATIENCE_S = 0.3
"""How long a partial may wait for the engine before it is dropped: a partial is replaced by
the next within a second, and its stream cannot notice the end of its turn while it waits."""
MAX_BATCH = 8


class Urgency(IntEnum):
    FINAL = 0
    """The end-of-turn decode: a caller is waiting for the turn to end."""
    EARLY = 1
    """The same decode started in a pause, before the turn has ended."""
    PARTIAL = 2


@dataclass(eq=False)
class _Request:
    urgency: Urgency
    samples: np.ndarray
    engine: Engine
    options: DecodeOptions
    alone: Optional[Callable[[], TranscriptionResult]]
    queued_at: float
    future: Future[Optional[TranscriptionResult]] = field(default_factory=Future)

    @property
    def batch_key(self) -> Optional[tuple[int, Optional[int], bool]]:
        if self.alone is not None:
            return None
        return id(self.engine), self.options.beam_size, self.urgency == Urgency.PARTIAL


class DecodeScheduler:
    def __init__(self, max_batch: int = MAX_BATCH, clock: Callable[[], float] = time.monotonic, workers: int = 1) -> None:
        self._max_batch = max_batch
        self._clock = clock
        self._pending: list[_Request] = []
        self._ready = threading.Condition()
        self._workers = max(1, workers)
        self._partials_running = 0
        for index in range(self._workers):
            threading.Thread(target=self._run, name=f"decode-scheduler-{index}", daemon=True).start()

    def decode(
        self,
        urgency: Urgency,
        engine: Engine,
        samples: np.ndarray,
        options: DecodeOptions = DecodeOptions(),
        alone: Optional[Callable[[], TranscriptionResult]] = None,
    ) -> Optional[TranscriptionResult]:
        """The decode of `samples` (with `options`; or whatever `alone` returns, for a decode
        that cannot share a batch). Blocks until done; None when a partial was dropped; raises
        what the decode raised."""
        request = _Request(urgency, samples, engine, options, alone, self._clock())
        with self._ready:
            if urgency == Urgency.PARTIAL and any(r.urgency < Urgency.PARTIAL for r in self._pending):
                return None
            self._pending.append(request)
            self._ready.notify()
        return request.future.result()

    def _run(self) -> None:
        while True:
            batch = self._next_batch()
            try:
                self._decode(batch)
            finally:
                if batch[0].urgency == Urgency.PARTIAL:
                    with self._ready:
                        self._partials_running -= 1
                        self._ready.notify_all()  # a worker that could not take partials now can

    def _decode(self, batch: list[_Request]) -> None:
        started = time.perf_counter()
        try:
            if batch[0].alone is not None:
                results: list[Optional[TranscriptionResult]] = [batch[0].alone()]
            else:
                first = batch[0]
                results = list(
                    first.engine.transcribe_many(
                        [(r.samples, r.options) for r in batch],
                        len(batch),
                        trim_encoder=True,
                        fallback=first.urgency != Urgency.PARTIAL,
                    )
                )
        except Exception as error:  # every waiting caller hears of it; the scheduler goes on
            for request in batch:
                request.future.set_exception(error)
            return
        for request, result in zip(batch, results):
            request.future.set_result(result)
        logger.debug(
            "decoded %d %s request(s), %.1f s of audio, in %.2f s",
            len(batch), batch[0].urgency.name.lower(), sum(len(r.samples) for r in batch) / SAMPLE_RATE,
            time.perf_counter() - started,
        )

    def _takeable(self) -> list[_Request]:
        """What a free worker may start: anything, unless partials hold every worker but one
        (with more than one worker), which is kept for ends of turns."""
        if self._workers > 1 and self._partials_running >= self._workers - 1:
            return [r for r in self._pending if r.urgency != Urgency.PARTIAL]
        return self._pending

    def _next_batch(self) -> list[_Request]:
        with self._ready:
            self._drop_stale()
            while not self._takeable():
                # Woken by a new request or a partial batch's end; the timeout drops partials
                # that grew stale meanwhile.
                self._ready.wait(PARTIAL_PATIENCE_S)
                self._drop_stale()
            ordered = sorted(self._takeable(), key=lambda r: (r.urgency, r.queued_at))
            key = ordered[0].batch_key
            batch = [ordered[0]] if key is None else [r for r in ordered if r.batch_key == key][: self._max_batch]
            for request in batch:
                self._pending.remove(request)
            if batch[0].urgency == Urgency.PARTIAL:
                self._partials_running += 1
            return batch

    def _drop_stale(self) -> None:
        """Partials that waited longer than their patience: their callers get None."""
        now = self._clock()
        stale = [r for r in self._pending if r.urgency == Urgency.PARTIAL and now - r.queued_at > PARTIAL_PATIENCE_S]
        for request in stale:
            self._pending.remove(request)
            request.future.set_result(None)
