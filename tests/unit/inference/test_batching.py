"""The cross-request queue with a stand-in engine: which requests share a batch."""

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest

from sagemaker_jobs.asr.engine import DecodeOptions
from sagemaker_jobs.asr.result import TranscriptionResult
from sagemaker_jobs.inference.batching import BatchQueue, Turn


@dataclass
class SlowEngine:
    """Records the batches it is given; each takes `seconds`."""

    seconds: float = 0.2
    batches: list[list[float]] = field(default_factory=list)
    fail: bool = False

    def transcribe_many(self, items: list[tuple[np.ndarray, DecodeOptions]], batch_size: int) -> list[Any]:
        self.batches.append([float(samples[0]) for samples, _ in items])
        time.sleep(self.seconds)
        if self.fail:
            raise RuntimeError("engine broke")
        return [
            TranscriptionResult(f"item {samples[0]:g}", (), 1.0, 1.0, "en_us", "fake") for samples, _ in items
        ]


def _request(queue: BatchQueue, value: float, beam: int | None = None) -> str:
    return queue.transcribe(np.full(160, value, dtype=np.float32), DecodeOptions(beam_size=beam)).text


def test_a_lone_request_is_decoded_at_once_and_later_arrivals_share_the_next_batch() -> None:
    engine = SlowEngine()
    queue = BatchQueue(engine, threading.Lock(), max_batch=8)  # type: ignore[arg-type]

    with ThreadPoolExecutor(6) as pool:
        first = pool.submit(_request, queue, 0)
        time.sleep(0.05)
        rest = [pool.submit(_request, queue, i) for i in range(1, 6)]
        texts = [first.result()] + [f.result() for f in rest]

    assert texts == [f"item {i}" for i in range(6)]  # each caller gets its own result
    assert engine.batches[0] == [0.0]
    assert sorted(engine.batches[1]) == [1.0, 2.0, 3.0, 4.0, 5.0]


def test_batches_hold_at_most_max_batch_and_one_beam() -> None:
    engine = SlowEngine()
    queue = BatchQueue(engine, threading.Lock(), max_batch=2, max_wait_s=0.1)  # type: ignore[arg-type]

    with ThreadPoolExecutor(5) as pool:
        futures = [pool.submit(_request, queue, i, 1 if i == 4 else None) for i in range(5)]
        assert [f.result() for f in futures] == [f"item {i}" for i in range(5)]

    assert all(len(batch) <= 2 for batch in engine.batches)
    assert [4.0] in engine.batches  # the greedy request was decoded apart


def test_a_tenants_first_request_is_decoded_ahead_of_the_backlog_and_apart_from_it() -> None:
    engine = SlowEngine()
    queue = BatchQueue(engine, threading.Lock(), max_batch=8)  # type: ignore[arg-type]

    def request(value: int, turn: Turn) -> str:
        return queue.transcribe(np.full(160, value, dtype=np.float32), DecodeOptions(), turn).text

    with ThreadPoolExecutor(8) as pool:
        running = pool.submit(request, 0, Turn("a", first=True))
        time.sleep(0.05)  # the engine is busy with it; a backlog forms, then another tenant's file
        backlog = [pool.submit(request, i, Turn("a")) for i in range(1, 4)]
        time.sleep(0.02)
        other = pool.submit(request, 9, Turn("b", first=True))
        assert [f.result() for f in [running, *backlog, other]] == [f"item {i}" for i in (0, 1, 2, 3, 9)]

    assert engine.batches[1] == [9.0]
    assert sorted(engine.batches[2]) == [1.0, 2.0, 3.0]


def test_a_tenant_alone_gets_full_batches_with_its_first_request() -> None:
    engine = SlowEngine()
    queue = BatchQueue(engine, threading.Lock(), max_batch=8)  # type: ignore[arg-type]

    with ThreadPoolExecutor(8) as pool:
        running = pool.submit(queue.transcribe, np.full(160, 0, dtype=np.float32), DecodeOptions(), Turn("a"))
        time.sleep(0.05)
        later = [
            pool.submit(queue.transcribe, np.full(160, i, dtype=np.float32), DecodeOptions(), Turn("a", first=i == 3))
            for i in range(1, 5)
        ]
        [f.result() for f in [running, *later]]

    assert sorted(engine.batches[1]) == [1.0, 2.0, 3.0, 4.0]


def test_an_engine_failure_reaches_every_waiting_request_and_the_queue_goes_on() -> None:
    engine = SlowEngine(fail=True)
    queue = BatchQueue(engine, threading.Lock())  # type: ignore[arg-type]

    with pytest.raises(RuntimeError, match="engine broke"):
        _request(queue, 1)
    engine.fail = False
    assert _request(queue, 2) == "item 2"
