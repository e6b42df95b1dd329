"""Raw audio frames of a stream (16-bit PCM or mu-law, any rate) to the engine's 16 kHz
float32, resampled with FFmpeg's resampler (PyAV), which keeps its state across frames."""
from __future__ import annotations

import av
import numpy as np

from hark_streaming.protocol import CHUNK_DURATION, INPUT_INVALID, ProtocolError
from sagemaker_jobs.asr.audio import SAMPLE_RATE

MAX_CHUNK_MS = 1000


def _mulaw_table() -> np.ndarray:
    # ITU-T G.711 mu-law expansion of every byte value.
    u = ~np.arange(256, dtype=np.uint8)
    sign = (u & 0x80) != 0
    exponent = (u >> 4) & 0x07
    mantissa = u & 0x0F
    magnitude = ((mantissa.astype(np.int32) << 3) + 0x84) << exponent
    return np.where(sign, 0x84 - magnitude, magnitude - 0x84).astype(np.int16)


_MULAW = _mulaw_table()


class PcmDecoder:
    def __init__(self, encoding: str, sample_rate: int) -> None:
        self._encoding = encoding
        self._rate = sample_rate
        self._resampler = (
            None if sample_rate == SAMPLE_RATE else av.AudioResampler(format="flt", layout="mono", rate=SAMPLE_RATE)
        )

    def decode(self, frame: bytes) -> np.ndarray:
        if self._encoding == "pcm_mulaw":
            pcm = _MULAW[np.frombuffer(frame, dtype=np.uint8)]
        else:
            if len(frame) % 2:
                raise ProtocolError(INPUT_INVALID, "a pcm_s16le frame must hold whole 16-bit samples (an even byte count)")
            pcm = np.frombuffer(frame, dtype="<i2")
        if len(pcm) * 1000 > MAX_CHUNK_MS * self._rate:
            raise ProtocolError(CHUNK_DURATION, f"an audio frame may hold at most {MAX_CHUNK_MS} ms")
        if self._resampler is None:
            return pcm.astype(np.float32) / 32768.0
        return self._resample(pcm)

    def _resample(self, pcm: np.ndarray) -> np.ndarray:
        if not len(pcm):
            return np.zeros(0, dtype=np.float32)
        frame = av.AudioFrame.from_ndarray(pcm.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = self._rate
        assert self._resampler is not None
        out = [f.to_ndarray().reshape(-1) for f in self._resampler.resample(frame)]
        return np.concatenate(out).astype(np.float32) if out else np.zeros(0, dtype=np.float32)
