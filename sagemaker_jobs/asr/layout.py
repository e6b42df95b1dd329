"""How a process lays its speech engine over a machine's cores."""
from __future__ import annotations

import os
from collections.abc import Mapping

from sagemaker_jobs.asr.engine import resolve_device


def one_decode_per_core(environ: Mapping[str, str], cores: int | None = None) -> dict[str, str]:
    """`environ` with the engine laid out as one single-threaded decode per core where it sets
    no layout of its own (HARK_ENGINE_WORKERS, HARK_CPU_THREADS): on a CPU only; on a GPU one
    decode at a time, which batching fills.

    A Whisper decode step is too small to spread over cores, and CTranslate2's default of four
    threads oversubscribes a 2-vCPU machine. tiny.en int8, a 7 s turn, one decode at a time on 2
    cores: beam-5 generate 0.19 / 0.25 / 0.33 s on 1 / 2 / 4 threads. Side by side, the
    inference container decoded three 5-6 min recordings 1.6x faster than one decode at a time
    on either 2 or 4 threads, with the same words (bench/README, "One decode per core")."""
    env = dict(environ)
    if "HARK_ENGINE_WORKERS" in env or "HARK_CPU_THREADS" in env:
        return env
    if resolve_device(env.get("HARK_DEVICE") or "auto") != "cpu":
        return env
    count = cores if cores is not None else len(os.sched_getaffinity(0))
    return {**env, "HARK_ENGINE_WORKERS": str(max(1, count)), "HARK_CPU_THREADS": "1"}
