"""``punctuate: false`` and ``format_text: false``: the engine always punctuates and cases
its output, so the request's choice is applied to each word afterwards.

``format_text: false`` lower-cases (AssemblyAI's unformatted text also spells numbers out;
Whisper's digits are kept, as undoing them would mean guessing). ``punctuate: false`` drops
punctuation at the edges of words and keeps what is inside a word ("don't", "3.5"). Words of
a ``custom_spelling`` target keep the spelling the request asked for.
"""
from __future__ import annotations

from collections.abc import Iterable

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
