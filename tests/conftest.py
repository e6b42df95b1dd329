"""Fixtures shared by every test tier."""

import io
import json
import wave
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    import numpy as np

    from sagemaker_jobs.asr.engine import Engine

AUDIO_FIXTURES = Path(__file__).parent / "fixtures" / "audio"


def pcm16(samples: "np.ndarray") -> bytes:
    """16 kHz float32 samples (as `audio.decode` gives them) as 16-bit little-endian PCM."""
    import numpy as np

    return (np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes()


def wav_bytes(samples: "np.ndarray") -> bytes:
    """A 16 kHz mono WAV file of the samples: recordings the tests assemble from fixtures."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16000)
        w.writeframes(pcm16(samples))
    return buffer.getvalue()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "slow: runs the speech model (seconds, not milliseconds)")


@pytest.fixture(scope="session")
def audio_dir() -> Path:
    return AUDIO_FIXTURES


@pytest.fixture(scope="session")
def references() -> dict[str, str]:
    """Reference transcripts of the real-speech fixtures, by file name."""
    return json.loads((AUDIO_FIXTURES / "references.json").read_text())


@pytest.fixture(scope="session")
def engine() -> "Engine":
    """The default engine (bundled tiny.en), loaded once per test session."""
    # Imported here so that tests which never transcribe do not pay for faster-whisper.
    from sagemaker_jobs.asr.engine import Engine, EngineSettings

    return Engine(EngineSettings.from_env({}))


@pytest.fixture(scope="session")
def whisper_tokenizer(engine: "Engine") -> Any:
    """The engine model's English tokenizer, for tests that count prompt tokens."""
    from faster_whisper.tokenizer import Tokenizer

    return Tokenizer(engine._model.hf_tokenizer, False, task="transcribe", language="en")


@pytest.fixture(scope="session")
def word_error_rate() -> Callable[[list[str], list[str]], float]:
    """Corpus WER of hypotheses against references, both normalised as Whisper's authors do
    (the scoring training and the benchmarks use)."""
    from sagemaker_jobs.train.scoring import score

    return lambda references, hypotheses: score(references, hypotheses).wer
