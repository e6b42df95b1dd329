"""A small word n-gram language model, used to report how well a corpus predicts held-out text.

Interpolated absolute discounting (Kneser-Ney style lower orders would add little at this size),
an open vocabulary with one <unk> token, sentence boundaries <s> and </s>. Pure Python: a
10,000-word corpus trains in well under a second.
"""

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

BOS, EOS, UNK = "<s>", "</s>", "<unk>"


@dataclass
class NgramLM:
    order: int
    vocabulary: frozenset[str]
    counts: list[Counter[tuple[str, ...]]]
    """counts[n][ngram]: occurrences of each (n+1)-gram."""
    followers: list[defaultdict[tuple[str, ...], set[str]]]
    context_totals: list[Counter[tuple[str, ...]]]
    discount: float = 0.75

    @classmethod
    def train(cls, sentences: Iterable[Sequence[str]], order: int = 3, min_count: int = 1) -> "NgramLM":
        sentences = [list(s) for s in sentences]
        unigrams = Counter(w for s in sentences for w in s)
        vocabulary = frozenset(w for w, c in unigrams.items() if c >= min_count) | {EOS, UNK}
        counts = [Counter() for _ in range(order)]
        followers = [defaultdict(set) for _ in range(order)]
        totals = [Counter() for _ in range(order)]
        for sentence in sentences:
            tokens = [BOS] * (order - 1) + [w if w in vocabulary else UNK for w in sentence] + [EOS]
            for i in range(order - 1, len(tokens)):
                for n in range(order):
                    context = tuple(tokens[i - n : i])
                    counts[n][context + (tokens[i],)] += 1
                    followers[n][context].add(tokens[i])
                    totals[n][context] += 1
        return cls(order, vocabulary, counts, followers, totals)

    def prob(self, context: Sequence[str], word: str) -> float:
        word = word if word in self.vocabulary else UNK
        p = 1.0 / len(self.vocabulary)
        for n in range(self.order):
            ctx = tuple(context[len(context) - n :]) if n else ()
            total = self.context_totals[n][ctx]
            if not total:
                continue
            count = self.counts[n][ctx + (word,)]
            backoff = self.discount * len(self.followers[n][ctx]) / total
            p = max(count - self.discount, 0.0) / total + backoff * p
        return p

    def evaluate(self, sentences: Iterable[Sequence[str]]) -> tuple[float, float]:
        """(perplexity, OOV rate) on `sentences`; OOV words are scored as <unk>."""
        log_sum = 0.0
        tokens = words = oov = 0
        for sentence in sentences:
            history = [BOS] * (self.order - 1)
            for word in list(sentence) + [EOS]:
                if word != EOS:
                    words += 1
                    oov += word not in self.vocabulary
                log_sum += math.log(self.prob(history, word))
                history.append(word if word in self.vocabulary else UNK)
                tokens += 1
        if not tokens:
            return math.nan, math.nan
        # Perplexity counts </s> as a token, as is usual; the OOV rate counts words only.
        return math.exp(-log_sum / tokens), oov / max(1, words)
