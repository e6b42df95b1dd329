"""The local stack as `make serve` runs it (devstack.process, as the end-to-end tests use
it), and a client that pushes a batch of files through its API."""
from __future__ import annotations

import re
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from devstack.process import running_stack

TIMEOUT_S = 3600
# Logged by sagemaker_jobs/inference/serve.py for every invocation.
_ENGINE_LINE = re.compile(r"transcribed [\d.]+ s of audio in ([\d.]+) s")
# Logged by sagemaker_jobs/inference/batching.py for every cross-request batch.
_BATCH_LINE = re.compile(r"decoded a batch of (\d+) ")


@dataclass(frozen=True)
class Stack:
    api_url: str
    key: str
    pid: int
    log_path: Path
    """The stack's stderr, the inference worker's log included; gone once the stack stops."""

    def engine_seconds(self) -> list[float]:
        """Time the worker spent in `Engine.transcribe`, per file, from its log lines."""
        return [float(m) for m in _ENGINE_LINE.findall(self.log_path.read_text())]

    def batch_sizes(self) -> list[int]:
        """The size of every cross-request batch the worker decoded (logged at INFO)."""
        return [int(m) for m in _BATCH_LINE.findall(self.log_path.read_text())]


@contextmanager
def local_stack() -> Iterator[Stack]:
    """Starts the stack and waits for READY (model load included), stops it on exit."""
    with tempfile.TemporaryDirectory(prefix="hark-bench-") as tmp:
        log_path = Path(tmp) / "stack.log"
        with running_stack(log_path, Path(tmp) / "state.json") as running:
            yield Stack(running.api_url, running.key, running.process.pid, log_path)


@dataclass(frozen=True)
class ServiceRun:
    bodies: list[dict[str, Any]]
    """The final GET /v2/transcript/{id} answer of each file, in input order."""
    latencies_s: list[float]
    """Submit answered → completion seen by the poller, per file that was submitted."""
    wall_s: float
    """First upload started → last completion seen."""


def transcribe_all(stack: Stack, paths: list[Path], threads: int = 8, poll_interval_s: float = 0.5) -> ServiceRun:
    """Uploads and submits every file from `threads` client threads, polling all the while.

    A refused upload or submit does not stop the run: it counts as a transcript in error, with
    the API's answer as its error, so the report shows how many failed and why.
    """
    bodies_in = [p.read_bytes() for p in paths]  # disk reads stay out of the timing
    headers = {"authorization": stack.key}
    limits = httpx.Limits(max_connections=threads + 1)
    with httpx.Client(base_url=stack.api_url, headers=headers, timeout=120, limits=limits) as client:

        def submit(body: bytes) -> tuple[str, float]:
            upload = client.post("/v2/upload", content=body)
            if upload.status_code != 200:
                raise RuntimeError(f"POST /v2/upload answered {upload.status_code}: {upload.text[:200]}")
            job = client.post("/v2/transcript", json={"audio_url": upload.json()["upload_url"]})
            if job.status_code != 200:
                raise RuntimeError(f"POST /v2/transcript answered {job.status_code}: {job.text[:200]}")
            return str(job.json()["id"]), time.perf_counter()

        started = time.perf_counter()
        deadline = started + TIMEOUT_S
        with ThreadPoolExecutor(threads) as pool:
            futures: list[Future[tuple[str, float]]] = [pool.submit(submit, b) for b in bodies_in]
            done: dict[int, tuple[dict[str, Any], float]] = {}  # index -> (final body, completion seen)
            # Polls every submitted, unfinished transcript once per round, as a client per file would.
            while len(done) < len(futures):
                if time.perf_counter() > deadline:
                    raise TimeoutError(f"{len(futures) - len(done)} transcripts unfinished after {TIMEOUT_S} s")
                for index, future in enumerate(futures):
                    if index in done or not future.done():
                        continue
                    if (error := future.exception()) is not None:
                        done[index] = ({"status": "error", "error": str(error)}, time.perf_counter())
                        continue
                    body = client.get(f"/v2/transcript/{future.result()[0]}").json()
                    if body["status"] in ("completed", "error"):
                        done[index] = (body, time.perf_counter())
                time.sleep(poll_interval_s)
    ok = [i for i, f in enumerate(futures) if f.exception() is None]
    return ServiceRun(
        bodies=[done[i][0] for i in range(len(paths))],
        latencies_s=[done[i][1] - futures[i].result()[1] for i in ok],
        wall_s=max(done[i][1] for i in range(len(paths))) - started,
    )
