"""How sure a turn's text is that its speaker has finished: AssemblyAI's end-of-turn confidence.

A turn ends at `min_turn_silence` when this is at least `end_of_turn_confidence_threshold`
(0.4 by default), else at `max_turn_silence` (AssemblyAI's documented semantics for the two
silences). The text is the decoder's: Whisper punctuates, so a sentence end is the strongest
sign. Its absence is a weak one: Whisper often leaves the period off a short complete sentence
("but he could wait no longer"), and such turns then waited 1.28 s instead of 0.4 s. What reads
as unfinished is what a speaker cannot stop on: a trailing comma or dash, or a last word that
needs another after it (an article, a preposition, a conjunction, a subject pronoun, an
auxiliary, a filler). Words that can end a sentence ("that", "it", "you", "up") are not on the
list. Prosody is not used: the decoder's text already reflects much of it (Whisper's period
follows a falling end), and on the benchmarks' read and call speech the text alone was measured
(bench/README.md, "Real-time streaming").
"""

from __future__ import annotations

import re

SENTENCE_END, READS_FINISHED, UNFINISHED, CONTINUES = 0.9, 0.6, 0.3, 0.1
"""A sentence end; no sign either way; a trailing off ("..."); a text that needs more words."""

CONTINUATION_WORDS = frozenset(
    """
    a an the and or nor but because cause if than whether although though unless until while
    whereas of to in on at for with from by into onto via per between among toward towards
    i we he she they my your our their its
    is are was were am been being has does will would can could should shall might must
    um uh er erm uhm ah very
    """.split()
)
"""A turn's last word after which a speaker has (nearly) never finished."""

_CLOSERS = "\"')]}”’"
_LAST_WORD = re.compile(r"([A-Za-z']+)\W*$")


def end_of_turn_confidence(text: str) -> float:
    text = text.strip().rstrip(_CLOSERS).rstrip()
    if not text:
        return UNFINISHED  # nothing heard yet: no reason to hurry
    if text.endswith(("...", "…")):
        return UNFINISHED
    if text.endswith((".", "?", "!")):
        return SENTENCE_END
    if text.endswith((",", ";", ":", "-", "–", "—")):
        return CONTINUES
    match = _LAST_WORD.search(text)
    if match and match.group(1).casefold() in CONTINUATION_WORDS:
        return CONTINUES
    return READS_FINISHED
