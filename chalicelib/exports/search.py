"""Word search, as AssemblyAI's /word-search answers it: for each searched word or phrase,
where it was said. Matching ignores case and punctuation ("Stew," is "stew"), so a phrase
matches across commas and sentence ends."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from hark_core.inference import Word


@dataclass(frozen=True)
class Match:
    text: str
    """the searched term, as it was asked for"""
    count: int
    timestamps: list[tuple[int, int]]
    """(start of the first word, end of the last) of each occurrence"""
    indexes: list[int]
    """index in the transcript's words of each occurrence's first word"""


def key(text: str) -> str:
    return "".join(c for c in text.casefold() if c.isalnum())


def search(words: Sequence[Word], terms: Sequence[str]) -> list[Match]:
    """One match per term, in the order asked, with count 0 for a term never said, so an
    answer lines up with its question. Occurrences of one term do not overlap."""
    keys = [key(w.text) for w in words]
    matches = []
    for term in terms:
        wanted = [k for k in map(key, term.split()) if k]
        indexes = []
        i = 0
        while wanted and i + len(wanted) <= len(keys):
            if keys[i : i + len(wanted)] == wanted:
                indexes.append(i)
                i += len(wanted)
            else:
                i += 1
        timestamps = [(words[i].start, words[i + len(wanted) - 1].end) for i in indexes]
        matches.append(Match(term, len(indexes), timestamps, indexes))
    return matches
