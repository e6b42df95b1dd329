"""Speech a decode passed over. Whisper's long-form decode sometimes jumps 10-20 s ahead after a
misplaced timestamp and leaves whole sentences out, with no sign but a stretch without words.
Such a stretch (`GAP_MS` or more) is checked with voice activity detection, and where it holds
speech (`SPEECH_MS`) it is decoded on its own; only words timed on detected speech are kept
(`on_speech`), since Whisper writes words into silence and noise too ("Thank you for watching.").

A custom model's second pass (`custom.second_pass`) does this with the customer's context. A plain
decode does not: tried (lab, 2026-12-07), the same recovery after a plain decode repaired the one
synthetic recording with such a jump (52.5 -> 49.9 % WER) and changed no other of twelve, but on
air-traffic radio, where Whisper writes nothing for much of what VAD calls speech, it added
garbage (+51 and +378 words; 96.3 -> 106.8 %)."""

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from faster_whisper.transcribe import get_compression_ratio

from sagemaker_jobs.asr.audio import SAMPLE_RATE, speech_spans
from sagemaker_jobs.asr.result import Word

GAP_MS = 3000
"""A stretch at least this long without a word may be speech the decode skipped."""
SPEECH_MS = 1000
"""How much detected speech such a stretch must hold to be decoded again."""
PIECE_MS = 28_000
"""A stretch is decoded in pieces of at most this (under Whisper's 30 s window)."""
SPEECH_SLACK_MS = 250
"""A word counts as on speech when its middle is within this of a detected span."""
MIN_WORDS = 3
"""Fewer words than this on speech is not speech enough to add."""
LOOP_COMPRESSION_RATIO = 2.4
"""faster-whisper's default `compression_ratio_threshold`."""
LOOP_RUN_WORDS = 8
"""People do say "no, no, no" or "thank you, thank you"; eight words of one to three words
repeated ("oh-oh-oh-oh-oh-oh-oh-oh", "thank you" four times) is the decoder stuck, not speech."""


@dataclass(frozen=True)
class Stretch:
    """Audio no word covers, and the speech detected in it (ms from the start of the audio)."""

    lo: int
    hi: int
    speech: tuple[tuple[int, int], ...]

    def pieces(self) -> list[tuple[int, int]]:
        """(lo, hi) of equal pieces of at most `PIECE_MS` each."""
        count = -(-(self.hi - self.lo) // PIECE_MS)
        span = self.hi - self.lo
        return [(self.lo + span * n // count, self.lo + span * (n + 1) // count) for n in range(count)]


def unheard(samples: np.ndarray, covered: Sequence[tuple[int, int]], min_gap_ms: int = GAP_MS) -> list[Stretch]:
    """The stretches of at least `min_gap_ms` between the `covered` spans (ms, in time order; the
    audio's start and end bound the first and last) that hold `SPEECH_MS` of detected speech."""
    duration_ms = len(samples) * 1000 // SAMPLE_RATE
    bounds = [0, *(b for span in covered for b in span), duration_ms]
    found = []
    for lo, hi in zip(bounds[0::2], bounds[1::2]):
        if hi - lo < min_gap_ms:
            continue
        piece = samples[lo * SAMPLE_RATE // 1000 : hi * SAMPLE_RATE // 1000]
        speech = tuple((lo + a * 1000 // SAMPLE_RATE, lo + b * 1000 // SAMPLE_RATE) for a, b in speech_spans(piece))
        if sum(b - a for a, b in speech) >= SPEECH_MS:
            found.append(Stretch(lo, hi, speech))
    return found


def on_speech(words: Sequence[Word], speech: Sequence[tuple[int, int]]) -> list[Word]:
    """The words (times from the start of the audio) whose middle falls on detected speech; none
    when fewer than `MIN_WORDS` do."""
    kept = [
        w
        for w in words
        if any(a - SPEECH_SLACK_MS <= (w.start + w.end) // 2 <= b + SPEECH_SLACK_MS for a, b in speech)
    ]
    return kept if len(kept) >= MIN_WORDS else []


def loops(text: str) -> bool:
    """True when a decode repeats itself: its text compresses more than faster-whisper's
    `compression_ratio_threshold` (a beam stuck on one syllable, "Velero-mi-me-me-me..."), or a
    run of `LOOP_RUN_WORDS` words is one to three words said over and over (a loop in a few words
    of a long text leaves the whole text's ratio under the threshold: "The sky-oh-oh-oh-oh-oh-oh-
    oh-oh-oh-oh-oh-oh!" in 70 words)."""
    return bool(text) and (get_compression_ratio(text) > LOOP_COMPRESSION_RATIO or _repeats(text))


def _repeats(text: str) -> bool:
    tokens = [t for t in _TOKEN.split(text.lower()) if t]
    for size in (1, 2, 3):
        run = size  # tokens in the current run of repeats of the same `size` tokens
        for i in range(size, len(tokens)):
            run = run + 1 if tokens[i] == tokens[i - size] else size
            if run >= max(LOOP_RUN_WORDS, 3 * size):
                return True
    return False


_TOKEN = re.compile(r"[^\w']+")
