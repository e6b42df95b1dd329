"""Word times that read in order: every word starts no earlier than the one before it and ends
after it starts, as AssemblyAI's words do and as subtitles need. Applied where results leave the
engine (the inference contract, live turns); the custom-model passes read the decoder's own times.

faster-whisper's word alignment (cross-attention DTW, then its own heuristics around segment
boundaries) now and then places a segment's first words at a wrong timestamp token: on a
LibriSpeech fixture, on one CPU and not another, "potatoes, and fat mutton" came back as
potatoes 4.46-4.94 s, "and" and "fat" both 7.58-7.58 s, mutton 5.56-6.14 s. Such words are given
the gap between the words around them, shared evenly; every other word keeps its times.
"""
from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import replace

from hark_core.inference import Word

FALLBACK_WORD_MS = 250
"""Length given to each misplaced word with no well-placed word after it (the end of the audio
still bounds it)."""


def in_order(words: Iterable[Word], duration_ms: int | None = None) -> tuple[Word, ...]:
    """`words` with the misplaced ones re-timed. The well-placed words are the most words that
    end after they start and whose starts never go back (a longest non-decreasing run of starts,
    not necessarily contiguous); the rest are misplaced."""
    words = tuple(words)
    placed = _longest_ordered(words)
    if all(placed):
        return words
    out = list(words)
    i = 0
    while i < len(out):
        if placed[i]:
            i += 1
            continue
        j = i
        while j < len(out) and not placed[j]:
            j += 1
        out[i:j] = _spread(out, i, j, duration_ms)
        i = j
    return tuple(out)


def _longest_ordered(words: Sequence[Word]) -> list[bool]:
    """Which words belong to a longest subsequence of non-decreasing starts among the words that
    end after they start (patience sorting, O(n log n))."""
    tails: list[int] = []  # tails[k]: index of the word ending the best run of length k + 1
    tail_starts: list[int] = []  # the starts of those words, for the search
    before: dict[int, int | None] = {}
    for i, word in enumerate(words):
        if word.end <= word.start:
            continue
        k = bisect_right(tail_starts, word.start)
        before[i] = tails[k - 1] if k else None
        if k == len(tails):
            tails.append(i)
            tail_starts.append(word.start)
        else:
            tails[k], tail_starts[k] = i, word.start
    placed = [False] * len(words)
    at = tails[-1] if tails else None
    while at is not None:
        placed[at] = True
        at = before[at]
    return placed


def _spread(words: list[Word], i: int, j: int, duration_ms: int | None) -> list[Word]:
    """Words i..j-1 shared evenly over the gap between word i-1's end and word j's start."""
    count = j - i
    low = words[i - 1].end if i > 0 else 0
    if j < len(words):
        high = words[j].start
    else:
        high = low + FALLBACK_WORD_MS * count
        if duration_ms is not None:
            high = min(high, duration_ms)
    # No room (the neighbours touch): a millisecond each, so the order still holds.
    low = min(low, max(0, high - count))
    high = max(high, low + count)
    step = (high - low) / count
    return [
        replace(words[k], start=round(low + step * n), end=round(low + step * (n + 1)))
        for n, k in enumerate(range(i, j))
    ]
