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
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise

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


@dataclass
class Stream:
    samples: np.ndarray
    reference: str
    spans: list[tuple[float, float]]
    """Each clip's (start, end) in the stream, seconds."""


@dataclass
class Turns:
    text: str
    count: int
    splits: int
    """Turns that ended inside a clip: the next turn starts in the clip this one ended in (a
    speaker's pause read as the end of the turn)."""
    merges: int
    """Turns that run over a clip's end into the next (a 1.5 s pause that did not end it)."""
    waits_s: list[float]
    """Per turn, audio from its last word's end to the frame that ended it: the silence it
    waited (with the VAD's lag), what the end-of-turn logic adds to latency."""


def joined(clips: Sequence[Clip]) -> Stream:
    pause = np.zeros(int(PAUSE_S * 16000), dtype=np.float32)
    parts, spans, t = [pause], [], PAUSE_S
    for clip in clips:
        samples = audio.decode(clip.path.read_bytes())
        parts += [samples, pause]
        spans.append((t, t + len(samples) / 16000))
        t += len(samples) / 16000 + PAUSE_S
    return Stream(np.concatenate(parts), " ".join(clip.text for clip in clips), spans)


def streamed(engine: Engine, stream: Stream, settings: TurnSettings) -> Turns:
    def decode(piece: np.ndarray) -> TranscriptionResult:
        return engine.transcribe_many([(piece, DecodeOptions())], trim_encoder=True)[0]

    tracker = TurnTracker(settings, decode, partial=lambda piece: None, early=decode)
    finals: list[tuple[float, dict]] = []  # (seconds of audio fed when it came, message)
    samples = stream.samples
    for i in range(0, len(samples), FRAME):
        fed = min(len(samples), i + FRAME) / 16000
        finals += [(fed, m) for m in tracker.feed(samples[i : i + FRAME]) if m["end_of_turn"]]
    finals += [(len(samples) / 16000, m) for m in tracker.finish() if m["end_of_turn"]]

    def clip_at(seconds: float) -> int:
        return min(range(len(stream.spans)), key=lambda k: max(stream.spans[k][0] - seconds, seconds - stream.spans[k][1], 0))

    timed = [(fed, m["words"]) for fed, m in finals if m["words"]]
    splits = sum(
        clip_at(words[-1]["end"] / 1000) == clip_at(after[0]["start"] / 1000)
        for (_, words), (_, after) in pairwise(timed)
    )
    merges = sum(clip_at(words[0]["start"] / 1000) != clip_at(words[-1]["end"] / 1000) for _, words in timed)
    waits = [fed - words[-1]["end"] / 1000 for fed, words in timed[:-1] if fed < len(samples) / 16000]
    return Turns(" ".join(m["transcript"] for _, m in finals), len(timed), splits, merges, waits)


ENDPOINTING = {"threshold 0.4 (default: sentence ends)": 0.4, "threshold 0.3 (unpunctuated texts too)": 0.3}
"""end_of_turn_confidence_threshold per row (`hark_streaming.endpointing`): AssemblyAI's default,
which only a text ending a sentence reaches, and one that a text with no sign of more to come
reaches too."""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--streams-per-set", type=int, default=5)
    parser.add_argument("--clips-per-stream", type=int, default=12)
    parser.add_argument("--sets", nargs="+", help="only the sets whose names contain these (librispeech, earnings, air-traffic)")
    args = parser.parse_args()
    engine = Engine(EngineSettings.from_env(os.environ))
    n, k = args.streams_per_set, args.clips_per_stream
    sets = {"librispeech": accuracy_clips("librispeech_clean")}
    if dev_set_available():
        sets["earnings calls"] = accuracy_clips("earnings")
        sets["air-traffic radio"] = atc_clips(n * k)
    if args.sets:
        sets = {name: clips for name, clips in sets.items() if any(key in name for key in args.sets)}
    print(f"streaming accuracy: engine {engine.settings.model_name}, up to {n} streams of {k} clips per set, {PAUSE_S} s pauses")
    print("| set | turn ends | final turns WER | batch WER | difference | turns / clips | split mid-clip | merged | wait after last word, median / p90 | waited max_turn_silence |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for name, clips in sets.items():
        streams = [joined(clips[i : i + k]) for i in range(0, min(len(clips), n * k), k)]
        references = [s.reference for s in streams]
        batch = score(references, [engine.transcribe(s.samples).text for s in streams]).wer
        for label, threshold in ENDPOINTING.items():
            turns = [streamed(engine, s, TurnSettings(end_of_turn_confidence_threshold=threshold)) for s in streams]
            live = score(references, [t.text for t in turns]).wer
            waits = sorted(w for t in turns for w in t.waits_s)
            p90 = waits[int(0.9 * (len(waits) - 1))] if waits else 0.0
            print(
                f"| {name} ({len(streams)} x {k} clips) | {label} | {live:.2%} | {batch:.2%} | {live - batch:+.3f}"
                f" | {sum(t.count for t in turns)} / {sum(len(s.spans) for s in streams)}"
                f" | {sum(t.splits for t in turns)} | {sum(t.merges for t in turns)}"
                f" | {statistics.median(waits) if waits else 0:.2f} / {p90:.2f} s"
                f" | {sum(w >= TurnSettings().max_turn_silence / 1000 for w in waits)} of {len(waits)} |"
            )


if __name__ == "__main__":
    main()
