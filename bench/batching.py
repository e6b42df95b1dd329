"""Batched decoding in the inference container vs faster-whisper called directly, same run.

    python -m bench.batching [--clip-minutes 5] [--long-minutes 6] [--clients 8]

What is timed is one inference container (`python -m sagemaker_jobs.inference.serve`, the
process a SageMaker instance runs), fed through its HTTP contract by `--clients` concurrent
callers (the endpoint's InvocationsPerInstance). The local stack's API, moto and pollers are
left out on purpose: on AWS they run elsewhere, and on this 2-core machine they would take the
cores the instance has to itself (bench/throughput.py measures the whole stack).

- clips: dev-call clips (bench.data.throughput_clips), raw sequential vs the container with
  batching off (HARK_BATCH_SIZE=1, the path before batching) and on (8, 16);
- long: the same calls joined into recordings of about `--long-minutes`, raw vs the container
  sequential (default) and with lanes (HARK_LONG_AUDIO_LANES=1);
- latency: p50 of 20 clips sent one after another, batching off vs on;
- the worker's peak memory (VmHWM) in each configuration.
WER: whisper-normalizer + jiwer against the references.
"""
from __future__ import annotations

import argparse
import io
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import wave
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import numpy as np

from bench import raw
from bench.cpu import wait_for_quiet
from bench.data import ROOT, Clip, throughput_clips
from sagemaker_jobs.asr import audio
from sagemaker_jobs.train.scoring import score

GAP_S = 0.6


@dataclass(frozen=True)
class Recording:
    path: Path
    text: str
    seconds: float


def long_recordings(clips: Sequence[Clip], minutes: float, directory: Path) -> list[Recording]:
    """Consecutive clips of each call joined (0.6 s apart) into recordings of about `minutes`."""
    groups: list[list[Clip]] = []
    for clip in clips:
        group_of = clip.path.name.split("_")[0]
        if not groups or groups[-1][0].path.name.split("_")[0] != group_of or sum(c.duration_s for c in groups[-1]) > minutes * 60:
            groups.append([])
        groups[-1].append(clip)
    out = []
    gap = np.zeros(int(GAP_S * 16000), dtype=np.float32)
    for index, group in enumerate(groups):
        samples = np.concatenate([part for c in group for part in (audio.decode(c.path.read_bytes()), gap)])
        path = directory / f"long-{index}.wav"
        path.write_bytes(_wav(samples))
        out.append(Recording(path, " ".join(c.text for c in group), len(samples) / 16000))
    return out


def _wav(samples: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16000)
        w.writeframes((np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes())
    return buffer.getvalue()


@contextmanager
def container(env: dict[str, str]) -> Iterator[tuple[httpx.Client, int]]:
    """The inference container's entrypoint on a free port; yields a client and its pid."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(
        [sys.executable, "-m", "sagemaker_jobs.inference.serve", "--host", "127.0.0.1", "--port", str(port)],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT), "HARK_LOG_LEVEL": "WARNING", **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    client = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=3600)
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if client.get("/ping").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline or process.poll() is not None:
                raise RuntimeError("the inference container did not start")
            time.sleep(0.2)
        yield client, process.pid
    finally:
        client.close()
        process.terminate()
        process.wait(timeout=30)


def peak_memory_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


@dataclass(frozen=True)
class Run:
    wall_s: float
    texts: list[str]
    latencies_s: list[float]
    peak_mb: float | None


def serve_run(env: dict[str, str], paths: Sequence[Path], clients: int) -> Run:
    bodies = [p.read_bytes() for p in paths]
    with container(env) as (client, pid):
        client.post("/invocations", content=bodies[0], headers={"Content-Type": "application/octet-stream"})  # warm
        wait_for_quiet()

        def post(body: bytes) -> tuple[str, float]:
            started = time.perf_counter()
            response = client.post("/invocations", content=body, headers={"Content-Type": "application/octet-stream"})
            response.raise_for_status()
            return response.json()["text"], time.perf_counter() - started

        started = time.perf_counter()
        with ThreadPoolExecutor(clients) as pool:
            results = list(pool.map(post, bodies))
        wall = time.perf_counter() - started
        return Run(wall, [t for t, _ in results], [s for _, s in results], peak_memory_mb(pid))


def _wer(refs: Sequence[str], hyps: Sequence[str]) -> float:
    return 100 * score(list(refs), list(hyps)).wer


def run(clip_minutes: float, long_minutes: float, clients: int) -> None:
    clips = throughput_clips(clip_minutes)
    clip_audio = sum(c.duration_s for c in clips)
    refs = [c.text for c in clips]
    print(f"batching: {len(clips)} clips ({clip_audio:.0f} s); {os.cpu_count()} cores; {clients} concurrent callers")
    wait_for_quiet()
    base = raw.transcribe([c.path for c in clips])
    print(f"  engine: {base.settings}")
    rows = [("clips", "raw faster-whisper, sequential", base.wall_s, _wer(refs, base.texts), None)]
    configs = [("container, batching off (before)", {"HARK_BATCH_SIZE": "1"}), ("container, batch 8", {"HARK_BATCH_SIZE": "8"}), ("container, batch 16", {"HARK_BATCH_SIZE": "16"})]
    for label, env in configs:
        served = serve_run(env, [c.path for c in clips], clients if env["HARK_BATCH_SIZE"] != "16" else max(clients, 16))
        rows.append(("clips", label, served.wall_s, _wer(refs, served.texts), served.peak_mb))
    with tempfile.TemporaryDirectory() as tmp:
        longs = long_recordings(throughput_clips(16), long_minutes, Path(tmp))
        long_audio = sum(r.seconds for r in longs)
        long_refs = [r.text for r in longs]
        print(f"  long: {len(longs)} recordings of {', '.join(f'{r.seconds / 60:.1f}' for r in longs)} min")
        wait_for_quiet()
        base_long = raw.transcribe([r.path for r in longs])
        rows.append(("long", "raw faster-whisper, sequential", base_long.wall_s, _wer(long_refs, base_long.texts), None))
        for label, env in [("container, sequential (default)", {}), ("container, lanes of >= 60 s", {"HARK_LONG_AUDIO_LANES": "1"})]:
            served = serve_run(env, [r.path for r in longs], clients)
            rows.append(("long", label, served.wall_s, _wer(long_refs, served.texts), served.peak_mb))
    print()
    print("| audio | path | wall s | x real time | vs raw | WER % | worker peak MB |")
    print("|---|---|---|---|---|---|---|")
    for kind, label, wall, wer, peak in rows:
        seconds = clip_audio if kind == "clips" else long_audio
        raw_wall = base.wall_s if kind == "clips" else base_long.wall_s
        memory = f"{peak:.0f}" if peak else "-"
        print(f"| {kind} | {label} | {wall:.1f} | {seconds / wall:.1f} | {raw_wall / wall:.2f}x | {wer:.2f} | {memory} |")
    # Single-request latency: one clip at a time, batching off vs on.
    sample = [c.path for c in clips[:20]]
    print()
    for label, env in [("batching off", {"HARK_BATCH_SIZE": "1"}), ("batching on (8)", {"HARK_BATCH_SIZE": "8"})]:
        served = serve_run(env, sample, 1)
        print(f"single requests, {label}: p50 {statistics.median(served.latencies_s):.2f} s over {len(sample)} clips sent one after another")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.batching")
    parser.add_argument("--clip-minutes", type=float, default=5.0)
    parser.add_argument("--long-minutes", type=float, default=6.0)
    parser.add_argument("--clients", type=int, default=8)
    args = parser.parse_args(argv)
    run(args.clip_minutes, args.long_minutes, args.clients)


if __name__ == "__main__":
    main()
