"""Diarization error rate of `assign_speakers` on recordings assembled from real speakers' clips,
with the speaker count given and estimated, and the time diarization adds to transcription.

    python -m bench.diarization

Each recording is clips joined with 0.5 s of silence (the "quick turns" ones: the clips' phrases,
cut at pauses of 0.2 s or more, the two speakers' taken in turn, 0.2 s apart), so every turn's
speaker is known. The
reference speech of a clip is where its 10 ms frames are within 30 dB of its loud frames (pauses
under 0.3 s bridged); the hypothesis is the words' spans, bridged the same way between words of
one speaker. DER = (missed + false alarm + confusion) / reference speech, frame-based at 10 ms,
under the mapping of hypothesis to reference speakers that minimises confusion; no collar.
"""
from __future__ import annotations

import itertools
import json
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bench.data import FIXTURES, data_dir, dev_set_available
from sagemaker_jobs.asr.audio import SAMPLE_RATE, decode
from sagemaker_jobs.asr.diarize import assign_speakers
from sagemaker_jobs.asr.engine import Engine, EngineSettings
from sagemaker_jobs.asr.result import Word

FRAME = SAMPLE_RATE // 100  # 10 ms
BRIDGE_FRAMES = 30
PHRASE_PAUSE_FRAMES = 20
SPEECH_RANGE_DB = 30.0


@dataclass(frozen=True)
class Recording:
    name: str
    samples: np.ndarray
    reference: np.ndarray
    """Per 10 ms frame: the speaker's index, or -1 where nobody speaks."""
    speakers: int


@dataclass(frozen=True)
class Score:
    missed: float
    false_alarm: float
    confusion: float
    speakers_found: int

    @property
    def der(self) -> float:
        return self.missed + self.false_alarm + self.confusion


def assemble(name: str, turns: Sequence[tuple[str, np.ndarray]], gap_s: float = 0.5) -> Recording:
    """Joins (speaker, samples) turns with `gap_s` of silence between them."""
    speakers = list(dict.fromkeys(speaker for speaker, _ in turns))
    gap = np.zeros(round(gap_s * 100) * FRAME, np.float32)
    pieces, reference = [], []
    for index, (speaker, samples) in enumerate(turns):
        samples = samples[: len(samples) // FRAME * FRAME]
        if index:
            pieces.append(gap)
            reference.append(np.full(len(gap) // FRAME, -1))
        pieces.append(samples)
        reference.append(np.where(_speech_frames(samples), speakers.index(speaker), -1))
    return Recording(name, np.concatenate(pieces), np.concatenate(reference), len(speakers))


def _phrases(samples: np.ndarray) -> list[np.ndarray]:
    """The clip cut in the middle of each pause of PHRASE_PAUSE_FRAMES or more."""
    active = np.flatnonzero(_speech_frames(samples, bridge=False))
    pauses = zip(active[:-1], active[1:])
    cuts = [(before + after) // 2 for before, after in pauses if after - before > PHRASE_PAUSE_FRAMES]
    bounds = [0, *cuts, len(samples) // FRAME]
    return [samples[a * FRAME : b * FRAME] for a, b in zip(bounds[:-1], bounds[1:])]


def quick_turns(name: str, first: tuple[str, list[np.ndarray]], second: tuple[str, list[np.ndarray]]) -> Recording:
    """Phrases of two speakers taken in turn, 0.2 s apart: short turns, changes at any pause."""
    phrases = [[(speaker, p) for clip in clips for p in _phrases(clip)] for speaker, clips in (first, second)]
    turns = [turn for pair in zip(*phrases) for turn in pair]
    return assemble(name, turns, gap_s=0.2)


def _speech_frames(samples: np.ndarray, bridge: bool = True) -> np.ndarray:
    frames = samples[: len(samples) // FRAME * FRAME].reshape(-1, FRAME)
    power_db = 10 * np.log10(np.mean(frames**2, axis=1) + 1e-12)
    active = power_db > np.percentile(power_db, 95) - SPEECH_RANGE_DB
    return _bridge(active) if bridge else active


def _bridge(active: np.ndarray) -> np.ndarray:
    """Fills pauses shorter than BRIDGE_FRAMES between active frames."""
    active = active.copy()
    indices = np.flatnonzero(active)
    for before, after in zip(indices[:-1], indices[1:]):
        if 1 < after - before <= BRIDGE_FRAMES:
            active[before:after] = True
    return active


def hypothesis(words: Sequence[Word], labels: Sequence[str], frames: int) -> np.ndarray:
    speakers = sorted(set(labels))
    result = np.full(frames, -1)
    for speaker in speakers:
        active = np.zeros(frames, bool)
        for word, label in zip(words, labels):
            if label == speaker:
                active[word.start // 10 : max(word.end // 10, word.start // 10 + 1)] = True
        result[_bridge(active) & (result == -1)] = speakers.index(speaker)
    return result


def score(reference: np.ndarray, hyp: np.ndarray) -> Score:
    speech = reference >= 0
    total = speech.sum()
    missed = np.sum(speech & (hyp < 0)) / total
    false_alarm = np.sum(~speech & (hyp >= 0)) / total
    both = speech & (hyp >= 0)
    n_ref, n_hyp = reference.max() + 1, hyp.max() + 1
    # Brute force over mappings: a handful of speakers at most.
    best = max(
        (
            sum(np.sum(both & (hyp == h) & (reference == r)) for h, r in enumerate(mapping) if r < n_ref)
            for mapping in itertools.permutations(range(max(n_ref, n_hyp)), int(n_hyp))
        ),
        default=0,
    )
    return Score(float(missed), float(false_alarm), float((both.sum() - best) / total), int(n_hyp))


def recordings() -> list[Recording]:
    fixtures = {
        "1089": [_load(FIXTURES / "ls_1089-134686-0000.flac"), _load(FIXTURES / "ls_1089-134686-0002.flac")],
        "2412": [_load(FIXTURES / "ls_2412-153948-0000.flac")],
    }
    result = [
        assemble("fixtures 1089/2412/1089", _alternate(fixtures, ["1089", "2412", "1089"], 1)),
        quick_turns("fixtures quick turns", ("1089", fixtures["1089"]), ("2412", fixtures["2412"])),
    ]
    if not dev_set_available():
        return result
    rows = [json.loads(line) for line in (data_dir() / "manifest.jsonl").read_text().splitlines() if line.strip()]
    by_speaker: dict[str, list[np.ndarray]] = {}
    for row in rows:
        if row["subset"] == "librispeech_clean":
            speaker = row["id"].split("_")[1].split("-")[0]
        else:  # earnings: ".../Audio/<speaker name>_<part>_<sentence>.mp3"
            speaker = row["source"].rsplit("/", 1)[1].rsplit("_", 2)[0]
        if len(by_speaker.setdefault(speaker, [])) < 12:
            by_speaker[speaker].append(_load(data_dir() / row["audio"]))
    result += [
        assemble("librispeech 1089/1221 x4", _alternate(by_speaker, ["1089", "1221"] * 2, 1)),
        assemble("librispeech 1221/2412 x3", _alternate(by_speaker, ["1221", "2412", "1221"], 1)),
        quick_turns("librispeech quick turns", ("1089", by_speaker["1089"]), ("1221", by_speaker["1221"])),
        assemble("earnings AMZN/TWTR x6", _alternate(by_speaker, ["Darin Manney", "Jack Dorsey"] * 3, 4)),
        quick_turns("earnings quick turns", *((name, by_speaker[name]) for name in ("Darin Manney", "Jack Dorsey"))),
        assemble("one speaker (1089)", _alternate(by_speaker, ["1089"], 5)),
        assemble("three speakers", _alternate(by_speaker, ["1089", "1221", "2412", "1089", "1221"], 1)),
    ]
    return result


def _load(path: Path) -> np.ndarray:
    return decode(path.read_bytes())


def _alternate(clips: dict[str, list[np.ndarray]], order: Sequence[str], per_turn: int) -> list[tuple[str, np.ndarray]]:
    """Turns in `order`, each of the speaker's next `per_turn` clips (reused when they run out)."""
    used = dict.fromkeys(clips, 0)
    turns = []
    for speaker in order:
        for _ in range(per_turn):
            turns.append((speaker, clips[speaker][used[speaker] % len(clips[speaker])]))
            used[speaker] += 1
    return turns


def main() -> None:
    engine = Engine(EngineSettings.from_env(os.environ))
    started = time.perf_counter()
    assign_speakers(np.zeros(SAMPLE_RATE, np.float32), [Word("x", 0, 500, 1.0), Word("y", 600, 900, 1.0)], 2)
    print(f"diarization: speaker encoder loaded in {time.perf_counter() - started:.2f} s (excluded below)")
    header = f"{'recording':<26} {'spk':>3} {'audio s':>7} {'given: DER':>10} {'unknown: DER':>12} {'found':>5}"
    print(f"{header} {'given: miss/FA/conf':>22} {'ASR s':>6} {'diar s':>6} {'+%':>5}")
    transcribe_total = diarize_total = 0.0
    given_scores, unknown_scores = [], []
    for recording in recordings():
        started = time.perf_counter()
        words = engine.transcribe(recording.samples).words
        transcribe_s = time.perf_counter() - started
        given_labels = assign_speakers(recording.samples, words, recording.speakers)
        # Timed with the count unknown: with one speaker given there is nothing to compute.
        started = time.perf_counter()
        unknown_labels = assign_speakers(recording.samples, words)
        diarize_s = time.perf_counter() - started
        frames = len(recording.reference)
        given = score(recording.reference, hypothesis(words, given_labels, frames))
        unknown = score(recording.reference, hypothesis(words, unknown_labels, frames))
        given_scores.append(given)
        unknown_scores.append(unknown)
        transcribe_total += transcribe_s
        diarize_total += diarize_s
        parts = f"{given.missed:.1%} / {given.false_alarm:.1%} / {given.confusion:.1%}"
        print(
            f"{recording.name:<26} {recording.speakers:>3} {len(recording.samples) / SAMPLE_RATE:>7.1f}"
            f" {given.der:>10.1%} {unknown.der:>12.1%} {unknown.speakers_found:>5} {parts:>22}"
            f" {transcribe_s:>6.2f} {diarize_s:>6.2f} {diarize_s / transcribe_s:>5.0%}"
        )
    if not dev_set_available():
        print("(dev set not found: fixtures only)")
    given_der, unknown_der = np.mean([s.der for s in given_scores]), np.mean([s.der for s in unknown_scores])
    print(
        f"mean DER: given {given_der:.1%}, unknown {unknown_der:.1%};"
        f" diarization adds {diarize_total / transcribe_total:.0%} to transcription time"
        f" ({diarize_total:.1f} s on top of {transcribe_total:.1f} s)"
    )


if __name__ == "__main__":
    main()
