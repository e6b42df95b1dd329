"""Live streams' final turns against batch transcription of the same audio, on three kinds of
speech: LibriSpeech read speech, the earnings calls (phone-quality call audio) and air-traffic
radio.

    python -m bench.streaming_accuracy [--streams-per-set 5] [--clips-per-stream 12]

Each stream is a set's clips joined in order with 1.5 s pauses. It is fed through the streaming
service's own turn logic (`hark_streaming.turns.TurnTracker`: the Silero VAD, turn ends, kept
and turn ends) in 100 ms frames, every decode the real engine's as the service runs it (batched path,
trimmed encoder input), without the clock: `bench.streaming` measures latency, this measures
what the turns lose. The same joined audio is transcribed in one call (`Engine.transcribe`) for
the batch figure. Scoring: whisper-normalizer + jiwer (`sagemaker_jobs.train.scoring`).
"""
from __future__ import annotations

import argparse
import json
import os
import random
from collections.abc import Sequence

import numpy as np

from bench.data import Clip, accuracy_clips, data_dir, dev_set_available
from hark_streaming.protocol import TurnSettings
from hark_streaming.turns import TurnTracker
from sagemaker_jobs.asr import audio
from sagemaker_jobs.asr.engine import DecodeOptions, Engine, EngineSettings
from sagemaker_jobs.asr.result import TranscriptionResult
from sagemaker_jobs.train.scoring import score

PAUSE_S = 1.5
FRAME = 1600


def atc_clips(count: int, seed: int = 7) -> list[Clip]:
    directory = data_dir() / "atc"
    if not (directory / "manifest.jsonl").is_file():
        return []
    rows = [json.loads(line) for line in (directory / "manifest.jsonl").read_text().splitlines() if line.strip()]
    random.Random(seed).shuffle(rows)
    return [Clip(r["id"], directory / r["audio"], r["text"], "atc", float(r["duration_s"])) for r in rows[:count]]


def joined(clips: Sequence[Clip]) -> tuple[np.ndarray, str]:
    pause = np.zeros(int(PAUSE_S * 16000), dtype=np.float32)
    parts = [pause]
    for clip in clips:
        parts += [audio.decode(clip.path.read_bytes()), pause]
    return np.concatenate(parts), " ".join(clip.text for clip in clips)


def streamed(engine: Engine, samples: np.ndarray, settings: TurnSettings) -> str:
    def decode(piece: np.ndarray) -> TranscriptionResult:
        return engine.transcribe_many([(piece, DecodeOptions())], trim_encoder=True)[0]

    tracker = TurnTracker(settings, decode, partial=lambda piece: None, early=decode)
    finals: list[str] = []
    for i in range(0, len(samples), FRAME):
        finals += [m["transcript"] for m in tracker.feed(samples[i : i + FRAME]) if m["end_of_turn"]]
    finals += [m["transcript"] for m in tracker.finish() if m["end_of_turn"]]
    return " ".join(finals)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--streams-per-set", type=int, default=5)
    parser.add_argument("--clips-per-stream", type=int, default=12)
    args = parser.parse_args()
    engine = Engine(EngineSettings.from_env(os.environ))
    n, k = args.streams_per_set, args.clips_per_stream
    sets = {"librispeech": accuracy_clips("librispeech_clean")}
    if dev_set_available():
        sets["earnings calls"] = accuracy_clips("earnings")
        sets["air-traffic radio"] = atc_clips(n * k)
    print(f"streaming accuracy: engine {engine.settings.model_name}, up to {n} streams of {k} clips per set, {PAUSE_S} s pauses")
    for name, clips in sets.items():
        streams = [clips[i : i + k] for i in range(0, min(len(clips), n * k), k)]
        references, live, batch = [], [], []
        for stream in streams:
            samples, reference = joined(stream)
            references.append(reference)
            live.append(streamed(engine, samples, TurnSettings()))
            batch.append(engine.transcribe(samples).text)
        seconds = sum(c.duration_s for s in streams for c in s)
        live_score, batch_score = score(references, live), score(references, batch)
        print(
            f"{name} ({len(streams)} streams, {seconds / 60:.1f} min): final turns WER {live_score.wer:.2%},"
            f" batch transcription {batch_score.wer:.2%}, difference {live_score.wer - batch_score.wer:+.3f}"
        )


if __name__ == "__main__":
    main()
