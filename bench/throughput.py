"""Throughput of the service on the local stack vs faster-whisper called directly, same model,
same settings, same cores, same files, same run.

    python -m bench.throughput [--minutes 10] [--threads 8] [--poll-interval 0.5] [--repeat 1]

raw:     one WhisperModel, files one after another; wall time excludes the model load.
service: the stack is started first (excluded from the timing); every file is uploaded and
         submitted from a pool of client threads while all unfinished transcripts are polled;
         wall time runs from the first upload to the last completion seen.
The raw run goes first, in a child process that exits before the stack starts, so both get
the same cores. Both read EngineSettings from the same environment (HARK_CPU_THREADS etc.).
"""
from __future__ import annotations

import argparse
import math
import os
import resource
import statistics
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from bench import raw
from bench.cpu import descendant_pids, machine_busy_seconds, process_cpu_seconds, wait_for_quiet
from bench.data import ROOT, data_dir, dev_set_available, throughput_clips
from bench.stack import local_stack, transcribe_all

GOAL_RATIO = 0.9


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


def run(minutes: float = 10, threads: int = 8, poll_interval_s: float = 0.5, repeat: int = 1) -> bool:
    """Prints the comparison; True when service/raw throughput meets the goal (the median
    ratio over `repeat` raw+service rounds: identical runs vary by several % on a small VM)."""
    clips = throughput_clips(minutes)
    source = os.path.relpath(data_dir(), ROOT) if dev_set_available() else "tests/fixtures/audio, repeated"
    audio_s = sum(c.duration_s for c in clips)
    print(f"throughput: {len(clips)} files, {audio_s:.1f} s of audio from {source}; {os.cpu_count()} cores")
    rounds = [_round([c.path for c in clips], audio_s, threads, poll_interval_s) for _ in range(repeat)]
    ratio = statistics.median(r for r, _ in rounds)
    ok = ratio >= GOAL_RATIO and not any(failed for _, failed in rounds)
    label = "ratio service/raw" if repeat == 1 else f"median ratio service/raw over {repeat} rounds"
    print(f"{label} {ratio:.3f} (goal >= {GOAL_RATIO}): {'PASS' if ok else 'FAIL'}")
    return ok


def _round(paths: list[Path], audio_s: float, threads: int, poll_interval_s: float) -> tuple[float, int]:
    """One raw run then one service run; returns (service/raw ratio, failed transcripts)."""
    wait_for_quiet()
    busy_before = machine_busy_seconds()
    raw_run = raw.transcribe(paths)
    raw_other = _others(busy_before, raw_run.process_cpu_s)
    print(f"  engine: {raw_run.settings}")
    raw_tp = audio_s / raw_run.wall_s
    print(
        f"raw      audio {audio_s:7.1f} s  wall {raw_run.wall_s:7.1f} s  throughput {raw_tp:6.2f}x  "
        f"(model load {raw_run.load_s:.1f} s excluded; CPU {raw_run.cpu_s:.1f} s)"
    )

    stack_started = time.perf_counter()
    with local_stack() as stack:
        startup_s = time.perf_counter() - stack_started
        workers = descendant_pids(stack.pid)
        wait_for_quiet()
        cpu_before, busy_before = _cpu(stack.pid, workers), machine_busy_seconds()
        service = transcribe_all(stack, paths, threads, poll_interval_s)
        cpu_after, busy_after = _cpu(stack.pid, workers), machine_busy_seconds()
        engine_s = stack.engine_seconds()
        batches = stack.batch_sizes()
    failed = [b for b in service.bodies if b["status"] != "completed"]
    service_tp = audio_s / service.wall_s
    print(
        f"service  audio {audio_s:7.1f} s  wall {service.wall_s:7.1f} s  throughput {service_tp:6.2f}x  "
        f"(stack start {startup_s:.1f} s excluded; {threads} client threads, poll every {poll_interval_s} s)"
    )
    if service.latencies_s:
        print(
            f"  submit->completed latency  p50 {percentile(service.latencies_s, 50):.1f} s  "
            f"p95 {percentile(service.latencies_s, 95):.1f} s  (all {len(paths)} files queued at once)"
        )
    if failed:
        print(f"  {len(failed)} of {len(paths)} transcripts FAILED, e.g. {failed[0].get('error')}")
    # Where the service's time went: inference itself vs everything around it.
    if engine_s:  # the worker logs it only at HARK_LOG_LEVEL=INFO
        print(f"  engine time in the worker: {sum(engine_s):.1f} s over {len(engine_s)} files (raw: {sum(raw_run.seconds):.1f} s)")
    if batches:
        sizes = ", ".join(f"{n}x{size}" for size, n in sorted(Counter(batches).items()))
        print(f"  cross-request batches (batch size: count): {sizes}")
    service_other = None
    if cpu_before and cpu_after:
        used = {name: cpu_after[name] - cpu_before[name] for name in cpu_before}
        print("  CPU seconds during the service run: " + ", ".join(f"{n} {s:.1f}" for n, s in used.items()))
        if busy_before is not None and busy_after is not None:
            service_other = busy_after - busy_before - sum(used.values())
    if raw_other is not None and service_other is not None:
        # Anything else running on the machine skews both runs differently: say so. (A few
        # negative seconds are accounting slack between /proc/stat and per-process counters.)
        print(f"  CPU seconds used by other processes: during raw {raw_other:.1f}, during service {service_other:.1f}")
        if max(raw_other, service_other) > 0.05 * min(raw_run.wall_s, service.wall_s):
            print("  WARNING: other processes competed for the cores; the numbers are not reliable")
    ratio = service_tp / raw_tp
    print(f"  service/raw {ratio:.3f}")
    return ratio, len(failed)


def _others(busy_before: float | None, ours: float) -> float | None:
    busy_after = machine_busy_seconds()
    return None if busy_before is None or busy_after is None else busy_after - busy_before - ours


def _cpu(stack_pid: int, workers: list[int]) -> dict[str, float] | None:
    """CPU seconds so far of the stack process (API, moto, pollers, runner), its inference
    worker(s) and this client; None where /proc is unavailable."""
    stack_cpu = process_cpu_seconds(stack_pid)
    worker_cpu = [process_cpu_seconds(pid) for pid in workers]
    if stack_cpu is None or None in worker_cpu:
        return None
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return {
        "stack (API+moto+pollers+runner)": stack_cpu,
        "inference worker": sum(c for c in worker_cpu if c is not None),
        "bench client": usage.ru_utime + usage.ru_stime,
    }


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.throughput")
    parser.add_argument("--minutes", type=float, default=10.0, help="minutes of audio in the batch")
    parser.add_argument("--threads", type=int, default=8, help="client threads uploading and submitting")
    parser.add_argument("--poll-interval", type=float, default=0.5, help="seconds between polling rounds")
    parser.add_argument("--repeat", type=int, default=1, help="raw+service rounds; the goal uses the median ratio")
    args = parser.parse_args(argv)
    raise SystemExit(0 if run(args.minutes, args.threads, args.poll_interval, args.repeat) else 1)


if __name__ == "__main__":
    main()
