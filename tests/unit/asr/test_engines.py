"""The container's speech models: the default loaded at start, the others on first use, once."""

import threading
from pathlib import Path
from typing import Any

import pytest

from sagemaker_jobs.asr import speech_models
from sagemaker_jobs.asr.engine import EngineSettings
from sagemaker_jobs.asr.engines import SpeechEngines, UnknownSpeechModel


class FakeEngine:
    def __init__(self, settings: EngineSettings) -> None:
        self.settings = settings


def test_other_models_load_once_on_first_use_and_unknown_ones_are_refused(tmp_path: Path) -> None:
    loads: list[str] = []

    def load(settings: EngineSettings) -> Any:
        loads.append(settings.model_name)
        return FakeEngine(settings)

    default = FakeEngine(EngineSettings(Path("tiny"), speech_models.TINY_EN))
    engines = SpeechEngines(default, {"HARK_MODEL_CACHE": str(tmp_path)}, load)  # type: ignore[arg-type]

    assert engines.get(None) is default and engines.get(speech_models.TINY_EN) is default
    threads = [threading.Thread(target=engines.get, args=(speech_models.BASE,)) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    base = engines.get(speech_models.BASE)
    assert loads == [speech_models.BASE]
    assert base.settings.model_dir == tmp_path / speech_models.BASE
    with pytest.raises(UnknownSpeechModel):
        engines.get("whisper-large-v3")


def test_the_multilingual_model_is_joined_once_and_checked(tmp_path: Path) -> None:
    directory = speech_models.model_dir(speech_models.BASE, {"HARK_MODEL_CACHE": str(tmp_path)})

    assert (directory / "model.bin").stat().st_size == 145_217_532
    assert {p.name for p in directory.iterdir()} == {"model.bin", "config.json", "tokenizer.json", "vocabulary.txt"}
    # A damaged join (here: cut short) is noticed by size and joined again.
    with open(directory / "model.bin", "r+b") as f:
        f.truncate(1000)
    again = speech_models.model_dir(speech_models.BASE, {"HARK_MODEL_CACHE": str(tmp_path)})
    assert (again / "model.bin").stat().st_size == 145_217_532
