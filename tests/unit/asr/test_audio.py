import io
import wave
from pathlib import Path

import numpy as np
import pytest

from sagemaker_jobs.asr import audio
from sagemaker_jobs.asr.errors import AudioDecodeError, EmptyAudioError

SYNTHETIC_SPEECH = [
    "speech_8k_stereo.wav",
    "speech_44k.flac",
    "speech.mp3",
    "speech.ogg",
    "speech.m4a",
]
LIBRISPEECH = [
    "ls_1089-134686-0000.flac",
    "ls_1089-134686-0002.flac",
    "ls_2412-153948-0000.flac",
]


def _wav_duration_s(path: Path) -> float:
    with wave.open(str(path)) as wav:
        return wav.getnframes() / wav.getframerate()


def _wav_bytes(samples: np.ndarray, rate: int) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes((samples * 32767).astype("<i2").tobytes())
    return buffer.getvalue()


@pytest.mark.parametrize("name", SYNTHETIC_SPEECH)
def test_every_format_decodes_to_16k_mono_of_the_right_duration(audio_dir: Path, name: str) -> None:
    # All synthetic files hold the same sentence; the WAV header gives its exact length.
    expected_s = _wav_duration_s(audio_dir / "speech_8k_stereo.wav")

    samples = audio.decode((audio_dir / name).read_bytes())

    assert samples.dtype == np.float32
    assert samples.ndim == 1
    # Lossy codecs add a few ms of encoder padding.
    assert samples.shape[0] / audio.SAMPLE_RATE == pytest.approx(expected_s, abs=0.05)
    assert float(np.abs(samples).max()) <= 1.0
    assert float(np.sqrt(np.mean(samples**2))) > 0.01, "decoded to near silence"


@pytest.mark.parametrize("name", LIBRISPEECH)
def test_real_speech_decodes_to_mono_float_samples(audio_dir: Path, name: str) -> None:
    samples = audio.decode((audio_dir / name).read_bytes())

    assert samples.dtype == np.float32
    assert samples.ndim == 1
    assert samples.shape[0] > 5 * audio.SAMPLE_RATE


@pytest.mark.parametrize("name", ["empty.wav", "silence.wav"])
def test_files_without_samples_are_empty_audio(audio_dir: Path, name: str) -> None:
    with pytest.raises(EmptyAudioError, match="contains no audio"):
        audio.decode((audio_dir / name).read_bytes())


def test_audio_too_short_to_hold_speech_is_empty_audio() -> None:
    click = np.full(int(0.05 * 8000), 0.5, dtype=np.float32)

    with pytest.raises(EmptyAudioError):
        audio.decode(_wav_bytes(click, rate=8000))


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("corrupt.flac", "truncated or damaged"),
        ("not_audio.txt", "not recognised"),
        ("video_only.mp4", "no audio track"),
    ],
)
def test_undecodable_files_say_why(audio_dir: Path, name: str, reason: str) -> None:
    with pytest.raises(AudioDecodeError, match="could not be decoded as audio") as raised:
        audio.decode((audio_dir / name).read_bytes())

    assert reason in str(raised.value)
