"""Audio bytes in any container or codec FFmpeg knows to the engine's 16 kHz mono float32."""

import io

import av
import numpy as np
from faster_whisper import decode_audio

from sagemaker_jobs.asr.errors import AudioDecodeError, EmptyAudioError

SAMPLE_RATE = 16_000
# Shorter than this is a click, not speech; Whisper would only hallucinate on it.
MIN_DURATION_S = 0.1


def decode(data: bytes) -> np.ndarray:
    """Decodes and resamples `data` to 16 kHz mono float32 samples in [-1, 1).

    Raises EmptyAudioError when there is nothing to transcribe, AudioDecodeError when the bytes
    are not decodable audio.
    """
    if not data:
        raise EmptyAudioError()
    try:
        _require_audio_track(data)
        samples = decode_audio(io.BytesIO(data), sampling_rate=SAMPLE_RATE)
    except av.error.FFmpegError as error:
        raise AudioDecodeError(_reason(error)) from error
    if samples.shape[0] < MIN_DURATION_S * SAMPLE_RATE:
        raise EmptyAudioError()
    return samples


MAX_CHANNELS = 8


def decode_channels(data: bytes) -> list[np.ndarray]:
    """Each channel of `data` on its own, as 16 kHz float32 samples (AssemblyAI's `multichannel`:
    agent and customer recorded on separate channels). Errors as `decode`; a mono file is
    decoded once, by `decode`, and a file of several channels once, here."""
    if not data:
        raise EmptyAudioError()
    try:
        _require_audio_track(data)
        with av.open(io.BytesIO(data), mode="r", metadata_errors="ignore") as container:
            stream = container.streams.audio[0]
            count = stream.codec_context.channels or 1
            if count == 1:
                return [decode(data)]
            if count > MAX_CHANNELS:
                raise AudioDecodeError(f"it has {count} channels; multichannel takes at most {MAX_CHANNELS}")
            resampler = av.AudioResampler(format="fltp", layout=stream.codec_context.layout, rate=SAMPLE_RATE)
            parts = [out.to_ndarray() for frame in container.decode(stream) for out in resampler.resample(frame)]
            parts += [out.to_ndarray() for out in resampler.resample(None)]
    except av.error.FFmpegError as error:
        raise AudioDecodeError(_reason(error)) from error
    planar = np.concatenate(parts, axis=1).astype(np.float32) if parts else np.zeros((count, 0), np.float32)
    if planar.shape[1] < MIN_DURATION_S * SAMPLE_RATE:
        raise EmptyAudioError()
    return [np.ascontiguousarray(channel) for channel in planar]


def _require_audio_track(data: bytes) -> None:
    # decode_audio fails with a bare IndexError on a video-only file, an image or subtitles;
    # probing first turns that into a message the user can act on.
    with av.open(io.BytesIO(data), mode="r", metadata_errors="ignore") as container:
        if not container.streams.audio:
            raise AudioDecodeError("it contains no audio track")


def _reason(error: av.error.FFmpegError) -> str:
    if isinstance(error, av.error.InvalidDataError):
        return "the format is not recognised or the data is damaged"
    if isinstance(error, av.error.EOFError):
        return "the file ends too early (truncated or damaged)"
    return str(error.strerror or type(error).__name__).lower()


def speech_fraction(samples: np.ndarray) -> float:
    """The share of the audio that is speech, by Silero VAD (bundled with faster-whisper): what
    AssemblyAI's `speech_threshold` is compared with."""
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    if not len(samples):
        return 0.0
    spans = get_speech_timestamps(samples, VadOptions(min_silence_duration_ms=500, speech_pad_ms=100))
    return min(1.0, sum(span["end"] - span["start"] for span in spans) / len(samples))


def encode(samples: np.ndarray, audio_format: str, sample_rate: int = SAMPLE_RATE) -> bytes:
    """Mono float samples as an `mp3` or `wav` file (the redacted audio AssemblyAI returns)."""
    codec = {"mp3": "libmp3lame", "wav": "pcm_s16le"}[audio_format]
    pcm = (np.clip(samples, -1.0, 1.0) * 32767).astype(np.int16).reshape(1, -1)
    buffer = io.BytesIO()
    with av.open(buffer, mode="w", format=audio_format) as container:
        stream = container.add_stream(codec, rate=sample_rate, layout="mono")
        frame = av.AudioFrame.from_ndarray(pcm, format="s16", layout="mono")
        frame.sample_rate = sample_rate
        for packet in stream.encode(frame):
            container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return buffer.getvalue()
