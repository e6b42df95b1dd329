"""Customer text in, clean sentences and phrases out.

A custom model is built from two kinds of text: documents (historical transcripts, one or many
sentences each) and phrases (keywords and names the customer lists explicitly). This module
parses both, and refuses input that holds no usable English-like text with a `CorpusError`
whose message can be shown to the customer as is.
"""

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from sagemaker_jobs.asr.custom.textfile import TextDecodeError, clean_transcript, decode_text
from sagemaker_jobs.asr.errors import AsrError

MAX_PHRASE_CHARS = 100
"""A phrase longer than this is not a keyword or a name, and would crowd the decoder prompt."""
MAX_PHRASE_WORDS = 6

# A word: letters or digits, with inner apostrophes, hyphens, dots, ampersands and plus signs
# ("O'Brien", "10-K", "AT&T", "Node.js", "C++" loses its trailing plus signs, which is fine).
WORD_RE = re.compile(r"[^\W_](?:[\w'’&.+-]*[^\W_])?")
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"')\]]*\s+(?=[\"'(\[]?[A-Z0-9$])|\n+")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class CorpusError(AsrError):
    """The training text cannot be used; the message says why."""


@dataclass(frozen=True)
class Corpus:
    sentences: tuple[str, ...]
    """Customer sentences in their original spelling, whitespace collapsed."""
    phrases: tuple[str, ...]
    """Explicit customer phrases, deduplicated case-insensitively, in the order given."""

    @property
    def word_count(self) -> int:
        return sum(len(words(s)) for s in self.sentences)


def words(text: str) -> list[str]:
    """The words of `text` in their original spelling."""
    return WORD_RE.findall(text)


def parse(texts: Iterable[str | bytes], phrases: Iterable[str | bytes] = ()) -> Corpus:
    """Parses documents and explicit phrases; raises `CorpusError` when nothing usable is left."""
    sentences: list[str] = []
    for index, text in enumerate(texts):
        text = _as_text(text, f"text {index + 1}")
        if not text.strip():
            continue
        _check_not_garbage(text, f"text {index + 1}")
        sentences.extend(split_sentences(clean_transcript(text)))
    clean_phrases = parse_phrases(phrases)
    if not sentences and not clean_phrases:
        raise CorpusError("the training data holds no text: give at least one sentence or one phrase")
    return Corpus(tuple(sentences), tuple(clean_phrases))


def parse_phrases(phrases: Iterable[str | bytes], *, what: str = "phrase") -> list[str]:
    """Cleans a phrase list (customer keywords, `word_boost`, `keyterms_prompt`)."""
    seen: set[str] = set()
    out: list[str] = []
    for index, phrase in enumerate(phrases):
        phrase = " ".join(_as_text(phrase, f"{what} {index + 1}").split()).strip(" ,;")
        if not phrase:
            continue
        if len(phrase) > MAX_PHRASE_CHARS or len(phrase.split()) > MAX_PHRASE_WORDS:
            raise CorpusError(
                f"{what} {index + 1} is too long ({len(phrase.split())} words, {len(phrase)} characters): "
                f"a {what} is a name or a term of at most {MAX_PHRASE_WORDS} words and {MAX_PHRASE_CHARS} characters"
            )
        if not words(phrase):
            raise CorpusError(f"{what} {index + 1} ({phrase[:40]!r}) has no letters or digits")
        key = phrase.casefold()
        if key not in seen:
            seen.add(key)
            out.append(phrase)
    return out


def split_sentences(text: str) -> list[str]:
    """Splits on line breaks and on sentence-final punctuation followed by a capital or digit."""
    out = []
    for piece in _SENTENCE_END.split(text):
        piece = " ".join(piece.split())
        if words(piece):
            out.append(piece)
    return out


def _as_text(value: str | bytes, what: str) -> str:
    if isinstance(value, bytes):
        try:
            value = decode_text(value, what)
        except TextDecodeError as error:
            raise CorpusError(str(error)) from None
    if not isinstance(value, str):
        raise CorpusError(f"{what} must be a string, not {type(value).__name__}")
    if "\x00" in value or "\ufffd" in value:
        raise CorpusError(f"{what} looks like a binary file, not text")
    return unicodedata.normalize("NFC", value)


_NUMBER = re.compile(r"\d[\d.,:]*")


def _wordlike(token: str) -> bool:
    """A word ("start-up", "O'Brien") or a number ("121.88", "5,000"): radio and call transcripts
    are full of numbers, which must not make them look like hashes or base64."""
    if len(token) > 15:
        return False
    return bool(_NUMBER.fullmatch(token)) or token.replace("-", "").replace("'", "").replace("’", "").isalpha()


def _check_not_garbage(text: str, what: str) -> None:
    visible = [c for c in text if not c.isspace()]
    if len(_CONTROL.findall(text)) > max(2, len(text) // 100):
        raise CorpusError(f"{what} looks like a binary file, not text")
    letters = sum(c.isalpha() for c in visible)
    if letters < 0.5 * len(visible):
        raise CorpusError(f"{what} is mostly not letters ({letters} of {len(visible)} characters): give plain text")
    tokens = words(text)
    if len(tokens) >= 5:
        # Real prose has short words; base64, hashes or minified code have few or none.
        wordlike = sum(1 for t in tokens if _wordlike(t))
        if wordlike < 0.5 * len(tokens):
            raise CorpusError(f"{what} does not look like sentences of words: give plain text transcripts")
        long_runs = sum(1 for t in tokens if len(t) > 25)
        if long_runs > 0.2 * len(tokens):
            raise CorpusError(f"{what} does not look like sentences of words: give plain text transcripts")

