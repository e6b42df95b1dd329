"""The decode scheduler's order, batching and back-pressure, with the engine faked (the real
engine behind it is exercised by tests/e2e/test_streaming.py and tests/integration)."""

import threading
import time
from typing import Any

import numpy as np
import pytest

from hark_streaming.scheduler import PARTIAL_PATIENCE_S, DecodeScheduler, Urgency
from sagemaker_jobs.asr.engine import DecodeOptions
from sagemaker_jobs.asr.result import TranscriptionResult


def _result(text: str) -> TranscriptionResult:
    return TranscriptionResult(text=text, words=(), confidence=1.0, audio_duration_s=1.0, language_code="en_us", model_name="m")


class FakeEngine:
    """Records each batch; the first batch waits until released, so others can queue behind it."""

    def __init__(self) -> None:
        self.batches: list[list[str]] = []
        self.kwargs: list[dict[str, Any]] = []
        self.release = threading.Event()
        self.busy = threading.Event()

    def transcribe_many(self, items: list[tuple[np.ndarray, DecodeOptions]], batch_size: int, **kwargs: Any) -> list[TranscriptionResult]:
        self.busy.set()
        self.release.wait(10)
        names = [f"{int(samples[0])}" for samples, _ in items]
        self.batches.append(names)
        self.kwargs.append(kwargs)
        return [_result(name) for name in names]


def _submit(scheduler: DecodeScheduler, engine: FakeEngine, urgency: Urgency, name: int, beam: int | None, out: dict) -> threading.Thread:
    def run() -> None:
        out[name] = scheduler.decode(urgency, engine, np.full(10, name, dtype=np.float32), DecodeOptions(beam_size=beam))  # type: ignore[arg-type]

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def _wait_queued(scheduler: DecodeScheduler, count: int) -> None:
    deadline = time.monotonic() + 5
    while len(scheduler._pending) < count and time.monotonic() < deadline:
        time.sleep(0.005)


def test_ends_of_turns_queued_behind_a_running_decode_go_first_and_together() -> None:
    scheduler, engine, out = DecodeScheduler(), FakeEngine(), {}
    threads = [_submit(scheduler, engine, Urgency.FINAL, 1, None, out)]
    assert engine.busy.wait(5)
    # While the first decode runs: a partial, then two ends of turns and one early decode.
    threads.append(_submit(scheduler, engine, Urgency.PARTIAL, 2, 1, out))
    _wait_queued(scheduler, 1)
    for name, urgency in ((3, Urgency.FINAL), (4, Urgency.EARLY), (5, Urgency.FINAL)):
        threads.append(_submit(scheduler, engine, urgency, name, None, out))
    _wait_queued(scheduler, 4)
    engine.release.set()
    for thread in threads:
        thread.join(5)

    # The partial was waiting when the finals came; they went first, as one batch (finals
    # before the early decode), and the partial, older than its patience by then or not, never
    # went before them.
    assert engine.batches[0] == ["1"]
    assert engine.batches[1] == ["3", "5", "4"]
    assert {out[n].text for n in (1, 3, 4, 5)} == {"1", "3", "4", "5"}  # type: ignore[union-attr]
    assert out[2] is None or engine.batches[2] == ["2"]
    # Every stream decode reads a trimmed encoder input; only partials skip the fallback.
    assert engine.kwargs[1] == {"trim_encoder": True, "fallback": True}


def test_a_partial_is_dropped_while_an_end_of_turn_waits_and_when_it_waited_too_long() -> None:
    scheduler, engine, out = DecodeScheduler(), FakeEngine(), {}
    threads = [_submit(scheduler, engine, Urgency.FINAL, 1, None, out)]
    assert engine.busy.wait(5)
    threads.append(_submit(scheduler, engine, Urgency.PARTIAL, 2, 1, out))  # nothing else waits: queued
    _wait_queued(scheduler, 1)
    threads.append(_submit(scheduler, engine, Urgency.FINAL, 3, None, out))
    _wait_queued(scheduler, 2)
    threads.append(_submit(scheduler, engine, Urgency.PARTIAL, 4, 1, out))  # a final waits: dropped at once
    threads[-1].join(5)
    assert out[4] is None

    time.sleep(PARTIAL_PATIENCE_S + 0.1)  # the running decode holds partial 2 up past its patience
    engine.release.set()
    for thread in threads:
        thread.join(5)
    assert out[2] is None
    assert engine.batches == [["1"], ["3"]]


def test_decodes_that_cannot_share_a_batch_run_alone_and_errors_reach_their_caller() -> None:
    scheduler, engine = DecodeScheduler(), FakeEngine()
    engine.release.set()

    def custom() -> TranscriptionResult:
        return _result("with a custom model")

    def broken() -> TranscriptionResult:
        raise RuntimeError("decoder failed")

    result = scheduler.decode(Urgency.FINAL, engine, np.zeros(10, dtype=np.float32), alone=custom)  # type: ignore[arg-type]
    assert result is not None and result.text == "with a custom model"
    with pytest.raises(RuntimeError, match="decoder failed"):
        scheduler.decode(Urgency.FINAL, engine, np.zeros(10, dtype=np.float32), alone=broken)  # type: ignore[arg-type]
    # The scheduler goes on after a failure.
    again = scheduler.decode(Urgency.FINAL, engine, np.full(10, 7, dtype=np.float32))  # type: ignore[arg-type]
    assert again is not None and again.text == "7"
    assert engine.batches == [["7"]]


class SlowPartials(FakeEngine):
    """Partial batches (greedy) wait until released; ends of turns decode at once."""

    def transcribe_many(self, items: list[tuple[np.ndarray, DecodeOptions]], batch_size: int, **kwargs: Any) -> list[TranscriptionResult]:
        names = [f"{int(samples[0])}" for samples, _ in items]
        self.batches.append(names)
        if items[0][1].beam_size == 1:
            self.busy.set()
            self.release.wait(10)
        return [_result(name) for name in names]


def test_with_two_workers_an_end_of_turn_never_waits_behind_partials() -> None:
    scheduler, engine, out = DecodeScheduler(workers=2), SlowPartials(), {}
    threads = [_submit(scheduler, engine, Urgency.PARTIAL, 1, 1, out)]
    assert engine.busy.wait(5)
    # One worker decodes partials; the other is kept for ends of turns, so a second partial
    # waits (and is dropped past its patience) while an end of turn is decoded at once.
    threads.append(_submit(scheduler, engine, Urgency.PARTIAL, 2, 1, out))
    _wait_queued(scheduler, 1)
    threads.append(_submit(scheduler, engine, Urgency.FINAL, 3, None, out))
    threads[-1].join(5)
    assert out[3] is not None and out[3].text == "3"
    assert engine.batches == [["1"], ["3"]]

    engine.release.set()
    for thread in threads:
        thread.join(5)
    assert out[1] is not None and out[1].text == "1"
    assert out[2] is None or engine.batches[-1] == ["2"]
