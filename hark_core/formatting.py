"""``punctuate: false`` and ``format_text: false``: the engine always punctuates and cases
its output, so the request's choice is applied to each word afterwards.

``format_text: false`` lower-cases (AssemblyAI's unformatted text also spells numbers out;
Whisper's digits are kept, as undoing them would mean guessing). ``punctuate: false`` drops
punctuation at the edges of words and keeps what is inside a word ("don't", "3.5"). Words of
a ``custom_spelling`` target keep the spelling the request asked for.
"""
from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

# The ASCII apostrophe is not here: at a word's edge it is part of the word ("students'").
PUNCTUATION = ".,;:!?…\"“”‘’()[]{}-–—"


def bare(text: str) -> str:
    return text.strip(PUNCTUATION)


def restyle(text: str, *, punctuate: bool, format_text: bool, keep: frozenset[str] = frozenset()) -> str:
    """One word as the request asked for it; "" when nothing of it is left (a lone dash)."""
    core = bare(text)
    if core in keep:
        return text if punctuate else core
    styled = text if punctuate else core
    return styled if format_text else styled.lower()


def spelled_words(targets: Iterable[str]) -> frozenset[str]:
    """The words of custom_spelling's ``to`` values, which restyle leaves as they are."""
    return frozenset(bare(word) for target in targets for word in target.split() if bare(word))


# AssemblyAI's filler words ("disfluencies"): removed unless a request asks for them.
FILLERS = frozenset({"um", "uh", "umm", "uhm", "hmm", "hm", "mhm", "mm", "ah", "er", "erm", "uh-huh", "huh"})
_SENTENCE_END = (".", "?", "!")


def is_filler(text: str) -> bool:
    return bare(text).casefold() in FILLERS


def carry_punctuation(previous: str, filler: str) -> str:
    """The word before a removed filler, given the sentence end the filler carried ("so uh." -> "so.")."""
    end = filler[len(filler.rstrip(PUNCTUATION)) :]
    if end.endswith(_SENTENCE_END):
        return previous.rstrip(PUNCTUATION + "'") + end[-1] if bare(previous) else previous
    return previous


def mask_profanity(text: str) -> str:
    """A word with profanity masked as AssemblyAI does: first letter, then one asterisk per other
    letter, with case, apostrophes and punctuation kept ("Shit's," -> "S***'s,"). The word list is
    better-profanity's (about 900 words and their variants), not a list of Hark's own."""
    core = bare(text)
    stem, apostrophe, tail = core.partition("'")
    if not stem or not _profanity().contains_profanity(stem):
        return text
    masked = stem[0] + "*" * (len(stem) - 1) + apostrophe + tail
    start = text.find(core)
    return text[:start] + masked + text[start + len(core) :]


@lru_cache(maxsize=1)
def _profanity():  # type: ignore[no-untyped-def]
    # Loaded on first use: building the variant set takes about 10 ms, needed only with filter_profanity.
    from better_profanity import Profanity

    return Profanity()
