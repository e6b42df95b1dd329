"""The local stack as `make serve` runs it (a `python -m devstack serve` subprocess, as in
tests/e2e/conftest.py), and a client that pushes a batch of files through its API."""
from __future__ import annotations

import os
import re
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from bench.data import ROOT

STARTUP_TIMEOUT_S = 300
TIMEOUT_S = 3600
# Logged by sagemaker_jobs/inference/serve.py for every invocation.
_ENGINE_LINE = re.compile(r"transcribed [\d.]+ s of audio in ([\d.]+) s")


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


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def local_stack() -> Iterator[Stack]:
    """Starts the stack and waits for READY (model load included), stops it on exit."""
    api_port, moto_port = _free_port(), _free_port()
    with tempfile.TemporaryDirectory(prefix="hark-bench-") as tmp:
        env = {
            **os.environ,
            "HARK_DEV_API_KEY": "hark_bench_" + secrets.token_hex(8),
            # Keeps the stack from writing into the repo's .hark/.
            "HARK_STATE_FILE": str(Path(tmp) / "state.json"),
            "PYTHONUNBUFFERED": "1",
        }
        log_path = Path(tmp) / "stack.log"
        with open(log_path, "w+") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "devstack", "serve", "--port", str(api_port), "--moto-port", str(moto_port)],
                cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=log, text=True,
            )
            try:
                _wait_ready(process, log)
                yield Stack(f"http://127.0.0.1:{api_port}", env["HARK_DEV_API_KEY"], process.pid, log_path)
            finally:
                process.terminate()
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    process.kill()


def _wait_ready(process: subprocess.Popen[str], log: Any) -> None:
    assert process.stdout is not None
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    for line in process.stdout:
        if line.strip() == "READY":
            return
        if time.monotonic() > deadline:
            break
    log.seek(0)
    raise RuntimeError(f"the local stack did not start:\n{log.read()[-4000:]}")


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
