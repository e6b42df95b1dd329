import pickle
from pathlib import Path

import numpy as np
import pytest

from sagemaker_jobs.asr import audio
from sagemaker_jobs.asr.speaker_encoder import (
    EMBEDDING_SIZE,
    SpeakerEncoder,
    mel_spectrogram,
    partial_starts,
    pretrained_weights_path,
)
from sagemaker_jobs.asr.torch_checkpoint import load_state_dict


@pytest.fixture(scope="module")
def encoder() -> SpeakerEncoder:
    return SpeakerEncoder.pretrained()


def _embed(encoder: SpeakerEncoder, audio_dir: Path, name: str) -> np.ndarray:
    return encoder.embed_utterance(audio.decode((audio_dir / name).read_bytes()))


def test_the_pretrained_weights_load_without_torch() -> None:
    weights = load_state_dict(pretrained_weights_path(), "model_state")

    assert weights["lstm.weight_ih_l0"].shape == (1024, 40)
    for layer in range(3):
        assert weights[f"lstm.weight_hh_l{layer}"].shape == (1024, 256)
        assert weights[f"lstm.bias_ih_l{layer}"].shape == (1024,)
    assert weights["linear.weight"].shape == (256, 256)
    # cuDNN flattened the LSTM weights into one storage: each tensor must be its own slice of it.
    assert not np.array_equal(weights["lstm.weight_hh_l0"], weights["lstm.weight_hh_l1"])
    assert all(np.isfinite(w).all() for w in weights.values())


def test_a_checkpoint_naming_any_other_global_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "evil.pt"
    with path.open("wb") as f:
        for header in (0x1950A86A20F9469CFC6C, 1001, {"little_endian": True}):
            pickle.dump(header, f)
        f.write(b"cos\nsystem\n(S'true'\ntR.")

    with pytest.raises(pickle.UnpicklingError, match="os.system"):
        load_state_dict(path, "model_state")


def test_an_embedding_is_256_non_negative_values_of_unit_norm(encoder: SpeakerEncoder, audio_dir: Path) -> None:
    embedding = _embed(encoder, audio_dir, "ls_1089-134686-0002.flac")

    assert embedding.shape == (EMBEDDING_SIZE,)
    assert np.linalg.norm(embedding) == pytest.approx(1.0, abs=1e-5)
    assert embedding.min() >= 0.0


def test_one_speakers_clips_are_closer_than_two_speakers(encoder: SpeakerEncoder, audio_dir: Path) -> None:
    first = _embed(encoder, audio_dir, "ls_1089-134686-0000.flac")
    same_speaker = _embed(encoder, audio_dir, "ls_1089-134686-0002.flac")
    other_speaker = _embed(encoder, audio_dir, "ls_2412-153948-0000.flac")

    # Measured: 0.94 and 0.61; Resemblyzer's own utterance embeddings are as far apart.
    assert first @ same_speaker > 0.85
    assert first @ other_speaker < 0.75


def test_mel_frames_are_centred_every_10_ms_over_the_whole_signal() -> None:
    samples = np.zeros(16_000, np.float32)

    assert mel_spectrogram(samples).shape == (101, 40)


def test_a_1000_hz_tone_peaks_in_the_mel_band_around_1000_hz() -> None:
    tone = np.sin(2 * np.pi * 1000 * np.arange(16_000) / 16_000).astype(np.float32)

    # 40 Slaney bands up to 8 kHz: band 12 is centred on 956 Hz, band 13 on 1031 Hz.
    assert int(np.argmax(mel_spectrogram(tone)[50])) == 13


def test_partials_are_sliced_as_resemblyzer_slices_them() -> None:
    # A 10.4 s clip: Resemblyzer's 13th partial covers under 75 % of audio, so it is dropped.
    assert partial_starts(166_960) == [0, 77, 154, 231, 308, 385, 462, 539, 616, 693, 770, 847]
    assert partial_starts(8_000) == [0]
