"""Domain phrase mining: the words and names of a corpus that general English does not predict.

A Whisper model already knows common English; what it gets wrong are the customer's names,
products, tickers and jargon. A phrase is a candidate when it is

- rare in general English (by `wordfreq`'s Zipf frequency), e.g. "Olsavsky", "reaccelerate";
- a proper name: a run of capitalised words that the corpus capitalises where a sentence does
  not start ("Brian Olsavsky", "Division of Corporate Finance", "Twitter");
- an acronym or a code with letters and digits ("GAAP", "NFL", "10-K", "Q4").

Candidates are ranked by how often they occur times how rare their rarest word is, so a name
said twice beats a common word capitalised once.
"""

import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from wordfreq import zipf_frequency

from sagemaker_jobs.asr.custom.corpus import words

COMMON_ZIPF = 3.3
"""Zipf frequency of about the 20,000th most frequent English word (wordfreq 3.1); rarer words
are domain words."""
NAME_MAX_ZIPF = 5.5
"""A capitalised word more frequent than this ("The", "We", "I") is never a name on its own."""
COMMON_CODE_ZIPF = 5.0
"""A two-letter word in capitals this common in general English ("OK", "IT", "US", "TV") is one
the decoder already writes: as a code it only crowds the hotwords and glues itself to names
("OK Amanda")."""
_CONNECTORS = {"of", "and", "&", "for", "the", "de", "van", "von", "la"}
_FILLER = re.compile(r"(?:u+[hm]*|h?u+m+p+h+|e+r+m*|a+h+|o+h+|h+m+|m+h*(?:-?h*m+)*|uh-?huh)", re.IGNORECASE)
"""Hesitations and backchannels as transcribers write them ("Uum", "Mm-hmm", "Mh-mm", "Erm"):
rare in written English, but never the customer's vocabulary, and as hotwords they make the
decoder write them where the speaker only paused."""


def is_filler(word: str) -> bool:
    # Written in capitals it is an acronym ("HM Treasury", "OH" for Ohio), not a hesitation.
    return bool(_FILLER.fullmatch(word)) and not (len(word) > 1 and word.isupper())


def _is_first_person(word: str) -> bool:
    """ "I" and its contractions ("I'm", "I've"): always capitalised, never a name."""
    return word == "I" or word[:2] in ("I'", "I’")


@dataclass(frozen=True)
class Phrase:
    text: str
    count: int
    score: float
    kind: str
    """"rare" (a word general English does not know), "name", "code", or "explicit"."""

    def to_dict(self) -> dict[str, object]:
        return {"text": self.text, "count": self.count, "score": round(self.score, 3), "kind": self.kind}


@lru_cache(maxsize=65536)
def zipf(word: str) -> float:
    """Zipf frequency of a word in general English (0 for unknown words)."""
    return zipf_frequency(word.lower().strip("'’"), "en")


def is_rare(word: str) -> bool:
    return any(c.isalpha() for c in word) and zipf(word) < COMMON_ZIPF


_SUFFIXES = ("ing", "ed", "es", "s", "ly", "er", "ers", "ment", "ness", "ation", "ations", "ize", "izes", "ized")


@lru_cache(maxsize=65536)
def rarity(word: str) -> float:
    """How much general English fails to predict `word`: 0 for common words, up to 5.

    An inflection of a common word ("resetting", "thrives") counts as only slightly rare, since
    the recogniser spells it right from the common stem."""
    base = max(0.0, 5.0 - zipf(word))
    lower = word.lower()
    for suffix in _SUFFIXES:
        if lower.endswith(suffix) and len(lower) - len(suffix) >= 3:
            stem = lower[: -len(suffix)]
            for candidate in (stem, stem + "e", stem[:-1] if stem[-1:] == stem[-2:-1] else stem):
                if zipf(candidate) >= COMMON_ZIPF:
                    return min(base, 1.0)
    return base


def _strip_possessive(word: str) -> str:
    for suffix in ("'s", "’s"):
        if word.endswith(suffix) and len(word) > len(suffix) + 1:
            return word[: -len(suffix)]
    return word.rstrip("'’")


def _common_in_capitals(word: str) -> bool:
    # Two letters only: a longer word in capitals is a radio call or a shout ("BRAVO INDIA"), kept.
    return len(word) == 2 and word.isalpha() and word.isupper() and zipf(word) >= COMMON_CODE_ZIPF


def _is_code(word: str) -> bool:
    if _common_in_capitals(word):
        return False
    letters = sum(c.isalpha() for c in word)
    digits = sum(c.isdigit() for c in word)
    upper = sum(c.isupper() for c in word)
    return (letters and digits) or (letters >= 2 and upper == letters)


def _capitalised(word: str) -> bool:
    return word[:1].isupper()


def mine(sentences: Sequence[str], explicit: Iterable[str] = (), limit: int = 200) -> list[Phrase]:
    """Ranked domain phrases of `sentences`; the customer's `explicit` phrases come first."""
    tokenised = [[_strip_possessive(w) for w in words(s)] for s in sentences]
    # How the corpus writes each word where no sentence starts: a word capitalised there most
    # of the time is a name, even at the start of a sentence.
    cap_inside: Counter[str] = Counter()
    seen_inside: Counter[str] = Counter()
    for tokens in tokenised:
        for word in tokens[1:]:
            seen_inside[word.lower()] += 1
            cap_inside[word.lower()] += _capitalised(word)

    def is_name_word(word: str, initial: bool) -> bool:
        if _is_first_person(word) or is_filler(word) or _common_in_capitals(word):
            return False
        if _is_code(word) and any(c.isalpha() for c in word):
            return True
        if not word[:1].isalpha() or not _capitalised(word) or word.lower() in _CONNECTORS:
            return False
        key = word.lower()
        if initial:
            known_as_name = seen_inside[key] and cap_inside[key] * 2 > seen_inside[key]
            return bool(known_as_name or (not seen_inside[key] and is_rare(word)))
        return cap_inside[key] * 2 > seen_inside[key]

    counts: Counter[str] = Counter()
    kinds: dict[str, str] = {}
    spellings: defaultdict[str, Counter[str]] = defaultdict(Counter)

    def add(text: str, kind: str) -> None:
        key = text.lower()
        counts[key] += 1
        spellings[key][text] += 1
        kinds.setdefault(key, kind)

    for tokens in tokenised:
        index = 0
        while index < len(tokens):
            word = tokens[index]
            if is_name_word(word, initial=index == 0):
                end = index + 1
                while end < len(tokens):
                    if is_name_word(tokens[end], initial=False):
                        end += 1
                    elif (
                        tokens[end].lower() in _CONNECTORS
                        and end + 1 < len(tokens)
                        and is_name_word(tokens[end + 1], initial=False)
                    ):
                        end += 2
                    else:
                        break
                run = tokens[index:end]
                # Single letters alone are initials or a word spelled out ("O K"), not a name.
                spelled = all(len(part) == 1 for part in run)
                if not spelled and (len(run) > 1 or zipf(run[0]) < NAME_MAX_ZIPF or _is_code(run[0])):
                    add(" ".join(run), "name")
                # The rare words of a name also stand alone ("Olsavsky" of "Brian Olsavsky").
                if len(run) > 1:
                    for part in run:
                        if is_rare(part) and part.lower() not in _CONNECTORS:
                            add(part, "name")
                index = end
                continue
            if _is_code(word) and not word.isdigit():
                add(word, "code")
            elif len(word) > 1 and not is_filler(word) and (
                word.isalpha() and is_rare(word) or ("-" in word and is_rare(word) and any(c.isalpha() for c in word))
            ):
                add(word, "rare")
            index += 1

    ranked = []
    for key, count in counts.items():
        text = spellings[key].most_common(1)[0][0]
        rarest = max((rarity(part) for part in words(text)), default=0.0)
        weight = 1.0 + rarest
        length_bonus = 1.0 + 0.25 * (len(words(text)) - 1)
        ranked.append(Phrase(text, count, math.log1p(count) * weight * length_bonus, kinds[key]))
    ranked.sort(key=lambda p: (-p.score, p.text.lower()))
    explicit_phrases = [Phrase(text, 0, math.inf, "explicit") for text in explicit]
    explicit_keys = {p.text.lower() for p in explicit_phrases}
    merged = explicit_phrases + [p for p in ranked if p.text.lower() not in explicit_keys]
    return merged[: max(limit, len(explicit_phrases))]
