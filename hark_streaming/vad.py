"""Streaming voice-activity detection with the Silero VAD model that faster-whisper ships
(ONNX, in its package assets): speech probability per 32 ms frame, its recurrent state and
context carried from one call to the next so the stream is scored as one recording."""
from __future__ import annotations

import numpy as np
from faster_whisper.vad import get_vad_model

FRAME = 512
"""samples per VAD frame at 16 kHz (32 ms), the model's native step"""
CONTEXT = 64


class StreamingVad:
    def __init__(self) -> None:
        # get_vad_model caches the ONNX session: every stream shares one.
        self._session = get_vad_model().session
        self._h = np.zeros((1, 1, 128), dtype=np.float32)
        self._c = np.zeros((1, 1, 128), dtype=np.float32)
        self._context = np.zeros(CONTEXT, dtype=np.float32)
        self._pending = np.zeros(0, dtype=np.float32)

    def __call__(self, samples: np.ndarray) -> np.ndarray:
        """Speech probabilities of the whole frames completed by ``samples`` (the remainder
        waits for the next call)."""
        audio = np.concatenate([self._pending, samples])
        whole = len(audio) // FRAME * FRAME
        self._pending = audio[whole:]
        if not whole:
            return np.zeros(0, dtype=np.float32)
        frames = audio[:whole].reshape(-1, FRAME)
        contexts = np.vstack([self._context, frames[:-1, -CONTEXT:]]) if len(frames) > 1 else self._context[None, :]
        self._context = frames[-1, -CONTEXT:].copy()
        batch = np.concatenate([contexts, frames], axis=1).astype(np.float32)
        out, self._h, self._c = self._session.run(None, {"input": batch, "h": self._h, "c": self._c})
        return np.asarray(out, dtype=np.float32).reshape(-1)
