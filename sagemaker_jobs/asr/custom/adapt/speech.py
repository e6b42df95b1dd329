"""Training audio from a customer's text: their sentences spoken by espeak-ng.

A training example is what Whisper decodes: up to about 24 s of speech (one to four of the
customer's utterances in a row, with pauses), padded to 30 s, and the tokens it should give,
with a timestamp before and after each utterance as Whisper writes them (its durations are
known exactly, the audio being made here). Some windows are noisy or phone-band, some have no
timestamps, and half carry earlier text as the previous-text prompt, as the engine decodes.

The voices are espeak-ng's, none of those that bench/synthetic.py's test customers speak with,
so a benchmark on those customers does not reward learning a test voice.
"""

from __future__ import annotations

import random
import re
import subprocess
import tempfile
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

SAMPLE_RATE = 16000
VOICES = (
    "en-us-nyc", "en-gb-x-gbclan", "en-gb-x-gbcwmd", "en-gb-scotland",
    "en-us-nyc+m1", "en-gb-x-gbclan+f1", "en-gb-x-gbcwmd+f4", "en-us-nyc+m2",
)  # fmt: skip
SPEED_WPM = (130, 185)
MAX_WINDOW_S = 24.0
MAX_UTTERANCE_WORDS = 30
PHONE_SHARE, NOISY_SHARE, TIMESTAMPED_SHARE, PROMPTED_SHARE = 1 / 3, 0.5, 0.8, 0.5
SNR_DB = (10.0, 30.0)


class SpeechError(RuntimeError):
    """espeak-ng or sox failed or is missing."""


@dataclass(frozen=True)
class Spoken:
    """One window's audio and its utterances with their start and end (seconds)."""

    samples: np.ndarray
    utterances: tuple[tuple[str, float, float], ...]
    timestamped: bool
    previous: str | None


def sentences(text: str) -> list[str]:
    """`text` cut at sentence ends, with its white space made single spaces."""
    return re.split(r"(?<=[.?!])\s+", " ".join(text.split()))


def says_something(text: str) -> bool:
    return re.search(r"[^\W\d_]", text) is not None  # (a letter: digits and marks alone say nothing)


def utterances(texts: Sequence[str]) -> list[str]:
    """The texts cut into utterances of at most `MAX_UTTERANCE_WORDS` words, at sentence ends
    where possible."""
    out = []
    for text in texts:
        current: list[str] = []
        for sentence in sentences(text):
            words = sentence.split()
            if current and len(current) + len(words) > MAX_UTTERANCE_WORDS:
                out.append(" ".join(current))
                current = []
            current += words
            while len(current) > MAX_UTTERANCE_WORDS:
                out.append(" ".join(current[:MAX_UTTERANCE_WORDS]))
                current = current[MAX_UTTERANCE_WORDS:]
        if current:
            out.append(" ".join(current))
    return [u for u in out if says_something(u)]


def say(text: str, voice: str, speed: int, phone: bool) -> np.ndarray:
    """`text` spoken by espeak-ng, 16 kHz mono float32 (through an 8 kHz phone band if `phone`)."""
    with tempfile.TemporaryDirectory(prefix="hark-adapt-") as tmp:
        raw, pcm = Path(tmp) / "espeak.wav", Path(tmp) / "speech.raw"
        try:
            speak = ["espeak-ng", "-v", voice, "-s", str(speed), "-w", str(raw), "--stdin"]
            subprocess.run(speak, input=text, text=True, check=True, capture_output=True)
            band = ["rate", "8000", "rate", str(SAMPLE_RATE)] if phone else []
            convert = ["sox", "-R", "-D", str(raw), "-r", str(SAMPLE_RATE), "-c", "1", "-b", "16", "-e", "signed"]
            convert += ["-t", "raw", str(pcm), *band, "gain", "-n", "-3"]
            subprocess.run(convert, check=True, capture_output=True)
        except (OSError, subprocess.CalledProcessError) as error:
            raise SpeechError(f"could not synthesise training speech: {error}") from None
        return np.frombuffer(pcm.read_bytes(), dtype=np.int16).astype(np.float32) / 32768


def windows(texts: Sequence[str], count: int, seed: int = 0, workers: int = 4) -> list[Spoken]:
    """`count` training windows of the customer's utterances (consecutive ones, from random starts)."""
    rng = random.Random(seed)
    pool = utterances(texts)
    if not pool:
        return []
    plans = []
    for _ in range(count):
        start, length = rng.randrange(len(pool)), rng.randint(1, 4)
        plans.append([pool[(start + i) % len(pool)] for i in range(length)])
    jobs = [
        (u, rng.choice(VOICES), rng.randint(*SPEED_WPM), rng.random() < PHONE_SHARE) for plan in plans for u in plan
    ]
    with ThreadPoolExecutor(workers) as threads:  # espeak-ng and sox are processes: threads suffice
        spoken = iter(list(threads.map(lambda job: say(*job), jobs)))
    out = []
    for plan in plans:
        clock = rng.uniform(0.0, 1.0)
        pieces, placed = [np.zeros(int(clock * SAMPLE_RATE), np.float32)], []
        for text in plan:
            speech = next(spoken)
            seconds = len(speech) / SAMPLE_RATE
            if placed and clock + seconds > MAX_WINDOW_S:
                continue  # (still drawn from the iterator: each plan's renderings are its own)
            placed.append((text, clock, clock + seconds))
            pause = rng.uniform(0.2, 1.0)
            pieces += [speech, np.zeros(int(pause * SAMPLE_RATE), np.float32)]
            clock += seconds + pause
        samples = np.concatenate(pieces)[: 30 * SAMPLE_RATE]
        if rng.random() < NOISY_SHARE:
            level = np.sqrt(np.mean(samples**2)) / 10 ** (rng.uniform(*SNR_DB) / 20)
            samples = samples + np.random.default_rng(rng.randrange(1 << 30)).normal(0, level, len(samples)).astype(
                np.float32
            )
        previous = " ".join(rng.sample(pool, min(2, len(pool)))) if rng.random() < PROMPTED_SHARE else None
        out.append(Spoken(samples, tuple(placed), rng.random() < TIMESTAMPED_SHARE, previous))
    return out
