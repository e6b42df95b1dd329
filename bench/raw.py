"""The baseline: faster-whisper called directly with the service's own model and decode kwargs.

It runs in a child process of its own, so its model and CTranslate2 thread pool are gone before
the service is timed, and the two runs get the same cores.
"""
from __future__ import annotations

import multiprocessing
import os
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class RawRun:
    texts: list[str]
    seconds: list[float]
    """Per-file transcription time, decoding the file included."""
    wall_s: float
    """All files, one after another, model load excluded."""
    load_s: float
    cpu_s: float
    """CPU seconds this process spent over `wall_s`: comparable with the service worker's."""
    process_cpu_s: float
    """CPU seconds of the child's whole life (imports and model load too)."""
    settings: str


def transcribe(paths: list[Path]) -> RawRun:
    # spawn, not fork: a fresh interpreter, as the service's worker is.
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        return pool.submit(_transcribe_in_child, [str(p) for p in paths]).result()


def _transcribe_in_child(paths: list[str]) -> RawRun:
    from faster_whisper import WhisperModel

    from sagemaker_jobs.asr.engine import EngineSettings, raw_decode_kwargs, raw_model_kwargs

    settings = EngineSettings.from_env(os.environ)
    model_kwargs = raw_model_kwargs(settings)
    decode_kwargs = raw_decode_kwargs(settings)
    started = time.perf_counter()
    model = WhisperModel(**model_kwargs)
    load_s = time.perf_counter() - started
    texts, seconds = [], []
    cpu_started = time.process_time()
    wall_started = time.perf_counter()
    for path in paths:
        file_started = time.perf_counter()
        segments, _ = model.transcribe(path, **decode_kwargs)
        # Decoding happens as the generator is consumed; joined as the engine joins them.
        texts.append("".join(segment.text for segment in segments).strip())
        seconds.append(time.perf_counter() - file_started)
    wall_s = time.perf_counter() - wall_started
    cpu_s = time.process_time() - cpu_started
    described = (
        f"{settings.model_name}, {model_kwargs['device']} {model_kwargs['compute_type']}, "
        f"cpu_threads={settings.cpu_threads}, {', '.join(f'{k}={v}' for k, v in decode_kwargs.items())}"
    )
    return RawRun(texts, seconds, wall_s, load_s, cpu_s, time.process_time(), described)
