"""The customer's own sentences as decoder context: the ones most like what was just said.

Whisper continues the style and vocabulary of the text before its window (it was trained on
whole transcripts, the previous window's text as its prompt). A custom model keeps the
customer's transcript sentences; for each window, a first unbiased decode is the query, and the
BM25-best sentences of the corpus become that window's prompt, most relevant last (nearest the
decode). Names, phrasings and the customer's way of writing ("OK", digits, fillers) come along
with them, which a list of rare words cannot carry. Plain Python: an index of 350k words builds
in about a second.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence

_TOKEN = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
K1 = 1.2
B = 0.75


def tokens(text: str) -> list[str]:
    return _TOKEN.findall(text.casefold())


class ContextIndex:
    """BM25 over the corpus sentences (duplicates folded)."""

    def __init__(self, sentences: Iterable[str]) -> None:
        self.sentences: list[str] = list(dict.fromkeys(" ".join(s.split()) for s in sentences if s.strip()))
        self._docs = [Counter(tokens(s)) for s in self.sentences]
        self._lengths = [sum(d.values()) for d in self._docs]
        self._mean_length = sum(self._lengths) / max(1, len(self._lengths))
        frequency = Counter(word for doc in self._docs for word in doc)
        count = len(self._docs)
        self._idf = {w: math.log(1 + (count - n + 0.5) / (n + 0.5)) for w, n in frequency.items()}
        self._postings: defaultdict[str, list[int]] = defaultdict(list)
        for index, doc in enumerate(self._docs):
            for word in doc:
                self._postings[word].append(index)

    def __bool__(self) -> bool:
        return bool(self.sentences)

    def search(self, query: Sequence[str], limit: int) -> list[tuple[str, float]]:
        """The `limit` best sentences for the query words, best first, with their scores."""
        scores: defaultdict[int, float] = defaultdict(float)
        for word in set(query):
            idf = self._idf.get(word)
            if idf is None:
                continue
            for index in self._postings[word]:
                tf = self._docs[index][word]
                norm = K1 * (1 - B + B * self._lengths[index] / self._mean_length)
                scores[index] += idf * tf * (K1 + 1) / (tf + norm)
        best = sorted(scores.items(), key=lambda item: (-item[1], item[0]))[:limit]
        return [(self.sentences[i], score) for i, score in best]

    def prompt(self, heard: str, max_words: int = 120, candidates: int = 12) -> str:
        """Sentences like `heard`, at most `max_words` words, most relevant last."""
        chosen: list[str] = []
        count = 0
        for sentence, _ in self.search(tokens(heard), candidates):
            length = len(sentence.split())
            if chosen and count + length > max_words:
                break
            chosen.append(sentence)
            count += length
        return " ".join(reversed(chosen))
