"""How the streaming service lays its engine over a machine's cores."""
from __future__ import annotations

import os
from collections.abc import Mapping

from sagemaker_jobs.asr.engine import resolve_device


def streaming_environment(environ: Mapping[str, str], cores: int | None = None) -> dict[str, str]:
    """`environ` with the streaming service's engine layout where it sets none: on a CPU, one
    single-threaded decode per core (HARK_ENGINE_WORKERS, HARK_CPU_THREADS=1), which the
    decode scheduler runs side by side (see `scheduler`). A Whisper decode step is too small to
    spread over cores, and CTranslate2's default of four threads oversubscribes a 2-vCPU task.
    On a GPU, one decode at a time: batching across streams fills it."""
    env = dict(environ)
    if "HARK_ENGINE_WORKERS" in env or "HARK_CPU_THREADS" in env:
        return env
    if resolve_device(env.get("HARK_DEVICE") or "auto") != "cpu":
        return env
    count = cores if cores is not None else len(os.sched_getaffinity(0))
    return {**env, "HARK_ENGINE_WORKERS": str(max(1, count)), "HARK_CPU_THREADS": "1"}
