"""Sentences and paragraphs, as AssemblyAI's /sentences and /paragraphs return them.

A sentence ends at sentence-final punctuation, or at a long pause (what an unpunctuated
transcript has to go by). A paragraph is whole sentences, and ends at a longer pause or once
it has grown to a readable length. With speaker labels, every one of them also ends where
the speaker changes, and an utterance is a speaker's turn: their consecutive words.
"""
from __future__ import annotations

from collections.abc import Sequence

from chalicelib.exports.words import Segment, segments
from hark_core.inference import Word

SENTENCE_PAUSE_MS = 1000
"""Silence that ends a sentence even without punctuation. Whisper's gaps between words of
one sentence stay well under this (a few hundred ms at a comma)."""
SENTENCE_MAX_WORDS = 60
"""A sentence is cut here when no punctuation or pause ends it first (``punctuate: false``
on fluent speech), so that no "sentence" is a whole recording."""
PARAGRAPH_PAUSE_MS = 2000
PARAGRAPH_MAX_WORDS = 120
"""A paragraph takes no further sentence once this long, like a writer's paragraph of five or
six sentences."""

# Other scripts' sentence ends too (Chinese and Japanese full-width marks, Arabic's question
# mark, the Devanagari danda), and Spanish's opening marks and guillemets around a word.
_FINAL = (".", "?", "!", "…", "。", "？", "！", "؟", "।")
_OPENING = "\"'([{“‘¿¡«„"
_CLOSING = "\"')]}”’»"
# Titles Whisper writes with a full stop that never ends a sentence ("Mr. Smith").
_ABBREVIATIONS = {"mr.", "mrs.", "ms.", "dr.", "prof.", "st.", "jr.", "sr.", "vs.", "e.g.", "i.e.", "etc."}


def sentences(words: Sequence[Word]) -> list[Segment]:
    breaks = []
    start = 0
    for i in range(1, len(words)):
        if (
            ends_sentence(words[i - 1])
            or _pause(words, i) >= SENTENCE_PAUSE_MS
            or i - start >= SENTENCE_MAX_WORDS
            or _speaker_changes(words, i)
        ):
            breaks.append(i)
            start = i
    return segments(words, breaks)


def paragraphs(words: Sequence[Word]) -> list[Segment]:
    breaks = []
    start = 0
    position = 0
    for sentence in sentences(words):
        too_long = position - start + len(sentence.words) > PARAGRAPH_MAX_WORDS
        if position > start and (
            too_long or _pause(words, position) >= PARAGRAPH_PAUSE_MS or _speaker_changes(words, position)
        ):
            breaks.append(position)
            start = position
        position += len(sentence.words)
    return segments(words, breaks)


def utterances(words: Sequence[Word]) -> list[Segment]:
    """Speaker turns (AssemblyAI's ``utterances``); none when the words carry no speakers."""
    if not any(w.speaker for w in words):
        return []
    return segments(words, [i for i in range(1, len(words)) if _speaker_changes(words, i)])


def ends_sentence(word: Word) -> bool:
    text = word.text.rstrip(_CLOSING)
    return text.endswith(_FINAL) and text.lstrip(_OPENING).casefold() not in _ABBREVIATIONS


def _pause(words: Sequence[Word], i: int) -> int:
    """Silence before word `i`."""
    return words[i].start - words[i - 1].end


def _speaker_changes(words: Sequence[Word], i: int) -> bool:
    return words[i].speaker != words[i - 1].speaker
