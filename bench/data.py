"""The clips the benchmarks run on: the dev set in ../shared/data (override with HARK_BENCH_DATA),
or, when it is missing, the LibriSpeech fixtures in tests/fixtures/audio."""
from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import av

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "audio"
SUBSETS = ("earnings", "librispeech_clean")
# The groups the throughput batch is cut from: real call audio, the service's main use.
THROUGHPUT_GROUPS = ("Twitter_2016Q4", "AMZN_2016Q4")


@dataclass(frozen=True)
class Clip:
    id: str
    path: Path
    text: str
    subset: str
    duration_s: float


def data_dir() -> Path:
    return Path(os.environ.get("HARK_BENCH_DATA") or ROOT.parent / "shared" / "data")


def _manifest(directory: Path) -> list[dict[str, Any]]:
    with open(directory / "manifest.jsonl") as f:
        return [json.loads(line) for line in f if line.strip()]


def _clip(directory: Path, row: dict[str, Any]) -> Clip:
    return Clip(row["id"], directory / row["audio"], row["text"], row["subset"], float(row["duration_s"]))


def fixture_clips() -> list[Clip]:
    references: dict[str, str] = json.loads((FIXTURES / "references.json").read_text())
    return [
        Clip(name.rsplit(".", 1)[0], FIXTURES / name, text, "librispeech_clean", _duration(FIXTURES / name))
        for name, text in sorted(references.items())
    ]


def dev_set_available() -> bool:
    return (data_dir() / "manifest.jsonl").is_file()


def accuracy_clips(subset: str) -> list[Clip]:
    """Every dev-set clip of `subset` ("all" for every one), in manifest order."""
    if not dev_set_available():
        return fixture_clips() if subset in ("all", "librispeech_clean") else []
    directory = data_dir()
    return [_clip(directory, r) for r in _manifest(directory) if subset == "all" or r["subset"] == subset]


def throughput_clips(minutes: float) -> list[Clip]:
    """Call clips in manifest order until they add up to `minutes` of audio (fixtures repeated
    when the dev set is missing)."""
    if dev_set_available():
        directory = data_dir()
        pool = [_clip(directory, r) for r in _manifest(directory) if r["group"] in THROUGHPUT_GROUPS]
        repeat = False
    else:
        pool, repeat = fixture_clips(), True
    batch: list[Clip] = []
    total = 0.0
    index = 0
    while total < minutes * 60 and (repeat or index < len(pool)):
        clip = pool[index % len(pool)]
        batch.append(clip)
        total += clip.duration_s
        index += 1
    return batch


def _duration(path: Path) -> float:
    with av.open(str(path)) as container:
        return float(container.duration or 0) / av.time_base
