"""Speaker embeddings: Resemblyzer's pretrained voice encoder (a GE2E d-vector LSTM) in numpy.

Only the weights come from the Resemblyzer package (installed without its dependencies); the
features and the network are reimplemented here so the container needs no torch. Every step
mirrors Resemblyzer 0.1.4 (`preprocess_wav` without its VAD trimming, `wav_to_mel_spectrogram`
with librosa >= 0.10 defaults, `VoiceEncoder.forward` and `embed_utterance`), so embeddings
are Resemblyzer's.
"""

import importlib.metadata
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
from faster_whisper.feature_extractor import FeatureExtractor

from sagemaker_jobs.asr.audio import SAMPLE_RATE
from sagemaker_jobs.asr.torch_checkpoint import load_state_dict

EMBEDDING_SIZE = 256
FRAME_STEP = 160
"""Samples between mel frames (10 ms)."""
PARTIAL_FRAMES = 160
"""Mel frames the encoder sees at once (1.6 s): the unit every embedding is made of."""

_N_FFT = 400  # 25 ms
_N_MELS = 40
_LAYERS = 3
_BATCH = 32
_TARGET_DBFS = -30.0
_INT16_MAX = 2**15 - 1
_WINDOW = np.hanning(_N_FFT + 1)[:-1].astype(np.float32)  # periodic Hann, as librosa's "hann"
# faster-whisper's filters are librosa's Slaney filters with fmax fixed at 8 kHz, which is
# librosa's default (sr / 2) at Hark's 16 kHz.
_MEL_FILTERS = FeatureExtractor.get_mel_filters(SAMPLE_RATE, _N_FFT, _N_MELS).astype(np.float32)


def pretrained_weights_path() -> Path:
    # Found through the distribution's file list: importing the package would import torch.
    return Path(str(importlib.metadata.distribution("Resemblyzer").locate_file("resemblyzer/pretrained.pt")))


def normalize_volume(samples: np.ndarray) -> np.ndarray:
    """Raises quiet audio to -30 dBFS RMS; louder audio is left as it is."""
    rms = float(np.sqrt(np.mean(np.square(samples * _INT16_MAX, dtype=np.float64))))
    if rms == 0.0:
        return samples
    change_db = _TARGET_DBFS - 20 * np.log10(rms / _INT16_MAX)
    return samples if change_db < 0 else (samples * 10 ** (change_db / 20)).astype(np.float32)


def mel_spectrogram(samples: np.ndarray) -> np.ndarray:
    """Power mel spectrogram, (frames, 40): frame t is centred on sample t * FRAME_STEP."""
    # librosa pads centred frames with zeros (its default since 0.10), and keeps the last frame.
    stft = FeatureExtractor.stft(
        samples.astype(np.float32), _N_FFT, FRAME_STEP, window=_WINDOW, mode="constant", return_complex=True
    )
    power = np.square(np.abs(stft.astype(np.complex64)))
    return (_MEL_FILTERS @ power).T


def partial_starts(n_samples: int, rate: float = 1.3, min_coverage: float = 0.75) -> list[int]:
    """First mel frames of the partials `embed_utterance` averages, as Resemblyzer slices them:
    `rate` partials per second, the last one kept only if the audio covers `min_coverage` of it."""
    n_frames = int(np.ceil((n_samples + 1) / FRAME_STEP))
    frame_step = int(np.round(SAMPLE_RATE / rate / FRAME_STEP))
    starts = list(range(0, max(1, n_frames - PARTIAL_FRAMES + frame_step + 1), frame_step))
    coverage = (n_samples - starts[-1] * FRAME_STEP) / (PARTIAL_FRAMES * FRAME_STEP)
    if coverage < min_coverage and len(starts) > 1:
        starts.pop()
    return starts


class SpeakerEncoder:
    def __init__(self, weights: Mapping[str, np.ndarray]) -> None:
        self._lstm = [
            (
                weights[f"lstm.weight_ih_l{layer}"].T.copy(),
                weights[f"lstm.weight_hh_l{layer}"].T.copy(),
                weights[f"lstm.bias_ih_l{layer}"] + weights[f"lstm.bias_hh_l{layer}"],
            )
            for layer in range(_LAYERS)
        ]
        self._linear = (weights["linear.weight"].T.copy(), weights["linear.bias"])

    @classmethod
    def pretrained(cls) -> "SpeakerEncoder":
        return cls(load_state_dict(pretrained_weights_path(), "model_state"))

    def embed_windows(self, samples: np.ndarray, starts: Sequence[int], frames: int = PARTIAL_FRAMES) -> np.ndarray:
        """One embedding per window of `frames` mel frames from each start frame, (n, 256).

        The recording is volume-normalised as a whole and zero-padded to the last window's end,
        as Resemblyzer does for the partials of one utterance."""
        if not starts:
            return np.empty((0, EMBEDDING_SIZE), np.float32)
        needed = (max(starts) + frames) * FRAME_STEP
        samples = np.pad(normalize_volume(samples), (0, max(0, needed - len(samples))))
        mel = mel_spectrogram(samples)
        windows = np.stack([mel[start : start + frames] for start in starts])
        # In batches: the LSTM's per-step buffers for hundreds of windows at once run to hundreds
        # of MB and are slower for it.
        return np.concatenate([self.forward(windows[i : i + _BATCH]) for i in range(0, len(windows), _BATCH)])

    def embed_utterance(self, samples: np.ndarray) -> np.ndarray:
        """The utterance's embedding, (256,): its partials' embeddings averaged, unit norm."""
        mean = self.embed_windows(samples, partial_starts(len(samples))).mean(axis=0)
        return mean / np.linalg.norm(mean)

    def forward(self, mels: np.ndarray) -> np.ndarray:
        """Embeds a batch of mel windows (n, frames, 40): the last layer's final hidden state,
        through the linear layer and a ReLU, scaled to unit norm."""
        sequence = mels.astype(np.float32)
        for w_input, w_hidden, bias in self._lstm:
            sequence = _lstm_layer(sequence, w_input, w_hidden, bias)
        weight, bias = self._linear
        embeddings = np.maximum(sequence[:, -1] @ weight + bias, 0.0)
        norms = np.linalg.norm(embeddings, axis=1, keepdims=True)
        return embeddings / np.maximum(norms, np.finfo(np.float32).tiny)


def _lstm_layer(inputs: np.ndarray, w_input: np.ndarray, w_hidden: np.ndarray, bias: np.ndarray) -> np.ndarray:
    # torch.nn.LSTM: gates in the order input, forget, cell, output; state starts at zero.
    batch, steps, _ = inputs.shape
    hidden_size = w_hidden.shape[0]
    projected = inputs @ w_input + bias  # every step's input term in one matrix product
    hidden = np.zeros((batch, hidden_size), np.float32)
    cell = np.zeros_like(hidden)
    outputs = np.empty((batch, steps, hidden_size), np.float32)
    for step in range(steps):
        gates = projected[:, step] + hidden @ w_hidden
        i, f, g, o = np.split(gates, 4, axis=1)
        cell = _sigmoid(f) * cell + _sigmoid(i) * np.tanh(g)
        hidden = _sigmoid(o) * np.tanh(cell)
        outputs[:, step] = hidden
    return outputs


def _sigmoid(x: np.ndarray) -> np.ndarray:
    # tanh form: the same function as 1 / (1 + exp(-x)), without overflow for large -x.
    return 0.5 * (np.tanh(0.5 * x) + 1.0)
