"""The transcript being edited: words and text changed together, each word knowing where it
stands in the text. Post-decode steps (respelling, custom spelling, dropping an invented
trailing sentence, confirmed phrase substitutions) all edit through `TranscriptEdits`."""

from collections.abc import Sequence
from dataclasses import replace

import jellyfish

from sagemaker_jobs.asr.custom.bias import BoostLevel
from sagemaker_jobs.asr.custom.corpus import words as split_words
from sagemaker_jobs.asr.custom.mining import zipf
from sagemaker_jobs.asr.custom.spotting import letters
from sagemaker_jobs.asr.custom.style import HouseStyle
from sagemaker_jobs.asr.result import TranscriptionResult, Word, mean_confidence

FUNCTION_WORD_ZIPF = 6.0


SENTENCE_END = (".", "!", "?")
TRAILING_SENTENCE_WORDS = 20
"""The longest trailing sentence `trim_trailing_hallucinations` judges. A prompted window of a
long recording can end in a whole invented sign-off ("Thank you so much for watching, I'll see you
next time.", 11 words timed at the window's last instant), which 8 let through. Chosen on the vet
customer's recordings after they were read (lab, 2026-12-07: 44.32 -> 41.05 %, none 46.16 %);
the tuning sets' recordings and clips were unchanged."""
EDGE_PUNCT = "\"'“”‘’()[]{},.;:!?…-"


class TranscriptEdits:
    """Words plus the text, edited together: each word knows where it stands in the text."""

    def __init__(self, result: TranscriptionResult) -> None:
        self.original = result
        self.words = list(result.words)
        self.text = result.text
        self.spans = _locate(result.text, self.words)
        if self.spans is None:  # cannot happen with Whisper output, but never edit blindly
            self.text = " ".join(w.text for w in self.words)
            self.spans = _locate(self.text, self.words)
        self.changed = False

    def trim_trailing_hallucinations(self) -> None:
        # Whisper's own anomaly score (faster-whisper's hallucination check): improbable,
        # near-zero-length or overlong words. A trailing sentence made mostly of them is dropped.
        while self.words:
            start = len(self.words) - 1
            while start > 0 and not self.words[start - 1].text.endswith(SENTENCE_END):
                start -= 1
            tail = self.words[start:]
            if start == 0 or len(tail) > TRAILING_SENTENCE_WORDS:
                return
            score = sum(_anomaly(w) for w in tail)
            if not (score >= max(3.0, 0.75 * len(tail)) or score + 0.01 >= len(tail)):
                return
            self.text = self.text[: self.spans[start][0]].rstrip()
            del self.words[start:], self.spans[start:]
            self.changed = True

    def respell(self, lexicon: Sequence[str], level: BoostLevel) -> None:
        entries = []
        for phrase in lexicon:
            tokens = split_words(phrase)
            if tokens:
                entries.append((tokens, _key(" ".join(tokens))))
        index = 0
        while index < len(self.words):
            best = None
            for tokens, key in entries:
                for span in sorted({len(tokens), len(tokens) + 1, max(1, len(tokens) - 1)}):
                    if index + span > len(self.words):
                        continue
                    if span != len(tokens) and any(
                        zipf(bare(w.text)) >= FUNCTION_WORD_ZIPF for w in self.words[index : index + span]
                    ):
                        continue  # a split or merged name never swallows "the", "and", "to"
                    candidate = _match(self.words[index : index + span], tokens, key, level)
                    if candidate is not None and (best is None or candidate > best[0]):
                        best = (candidate, span, tokens)
            if best is None:
                index += 1
                continue
            _, span, tokens = best
            self.replace_span(index, span, tokens)
            index += len(tokens)

    def spell(self, sources: Sequence[str], target: str, *, keep_capital: bool = False) -> None:
        """Every occurrence of a source (words, any case) becomes `target`. ``keep_capital``:
        a capitalised occurrence ("All right," at a sentence start) gets a capitalised target."""
        target_tokens = target.split()
        for source in sources:
            source_tokens = [t.casefold() for t in split_words(source)]
            if not source_tokens:
                continue
            index = 0
            while index + len(source_tokens) <= len(self.words):
                window = [bare(w.text).casefold() for w in self.words[index : index + len(source_tokens)]]
                if window == source_tokens:
                    tokens = target_tokens
                    if keep_capital and bare(self.words[index].text)[:1].isupper() and tokens[0][:1].islower():
                        tokens = [tokens[0][:1].upper() + tokens[0][1:], *tokens[1:]]
                    self.replace_span(index, len(source_tokens), tokens)
                    index += len(target_tokens)
                else:
                    index += 1

    def restyle(self, style: HouseStyle) -> None:
        """The customer's written forms (`style.HouseStyle`) in place of the decoder's."""
        for variant, preferred in style.spellings:
            self.spell([variant], preferred, keep_capital=True)
        for index, word in enumerate(self.words):
            closed = style.closed_form(bare(word.text))
            if closed is not None:
                if bare(word.text)[:1].isupper():
                    closed = closed[:1].upper() + closed[1:]
                self.replace_span(index, 1, [closed])

    def replace_span(self, index: int, span: int, tokens: Sequence[str]) -> None:
        """Words `index` .. `index + span - 1` become `tokens`, timed evenly over the old span."""
        old = self.words[index : index + span]
        start, end = old[0].start, old[-1].end
        confidence = min(w.confidence for w in old)
        count = len(tokens)
        new = [
            Word(
                text=(leading_punct(old[0].text) if i == 0 else "")
                + token
                + (trailing_punct(old[-1].text) if i == count - 1 else ""),
                start=round(start + i * (end - start) / count),
                end=round(start + (i + 1) * (end - start) / count),
                confidence=confidence,
            )
            for i, token in enumerate(tokens)
        ]
        if [w.text for w in new] == [w.text for w in old]:
            return
        text_start, text_end = self.spans[index][0], self.spans[index + span - 1][1]
        replacement = " ".join(w.text for w in new)
        new_spans = []
        position = text_start
        for word in new:
            new_spans.append((position, position + len(word.text)))
            position += len(word.text) + 1
        shift = len(replacement) - (text_end - text_start)
        if not new:  # a deleted span takes one neighbouring space with it
            if text_end < len(self.text) and self.text[text_end] == " ":
                text_end += 1
                shift -= 1
        self.text = self.text[:text_start] + replacement + self.text[text_end:]
        self.spans[index : index + span] = new_spans
        for i in range(index + len(new), len(self.spans)):
            self.spans[i] = (self.spans[i][0] + shift, self.spans[i][1] + shift)
        self.words[index : index + span] = new
        self.changed = True

    def result(self) -> TranscriptionResult:
        if not self.changed:
            return self.original
        words = tuple(self.words)
        return replace(
            self.original,
            text=self.text.strip(),
            words=words,
            confidence=mean_confidence(words),
        )


def _locate(text: str, words: Sequence[Word]) -> list[tuple[int, int]] | None:
    spans = []
    position = 0
    for word in words:
        found = text.find(word.text, position)
        if found < 0:
            return None
        spans.append((found, found + len(word.text)))
        position = found + len(word.text)
    return spans


def _anomaly(word: Word) -> float:
    duration = (word.end - word.start) / 1000
    score = 1.0 if word.confidence < 0.15 else 0.0
    if duration < 0.133:
        score += (0.133 - duration) * 15
    if duration > 2.0:
        score += duration - 2.0
    return score


def _match(window: Sequence[Word], tokens: Sequence[str], key: str, level: BoostLevel) -> float | None:
    """Similarity of a hypothesis span to a lexicon phrase, when a respelling is warranted."""
    said = [bare(w.text) for w in window]
    if not all(said):
        return None
    if [s.casefold() for s in said] == [t.casefold() for t in tokens]:
        return None
    if min(w.confidence for w in window) >= level.correction_confidence:
        return None
    # Sentence punctuation inside the span means it crosses a sentence boundary.
    if any(w.text.endswith(SENTENCE_END) for w in window[:-1]):
        return None
    joined = " ".join(said).replace("-", " ")
    target = " ".join(tokens).replace("-", " ")
    if _same_stem(letters(joined), letters(target)):
        return None  # "reaccelerate" is not a misspelling of "reaccelerated"
    sound = _similarity(_key(joined), key)
    spelling = _similarity(letters(joined), letters(target))
    score = 0.6 * sound + 0.4 * spelling
    # A span that already has one of a name's words right ("Kavanaugh myo-labs") needs less
    # evidence for the rest.
    anchored = len(tokens) > 1 and any(s.casefold() == t.casefold() for s, t in zip(said, tokens))
    if score < level.correction_similarity - (0.06 if anchored else 0.0) or spelling < 0.5:
        return None
    # A confident, common English word is what was said far more often than a rare name.
    if len(window) == 1 and zipf(said[0]) >= 4.5 and window[0].confidence >= 0.3:
        return None
    return score


def _key(text: str) -> str:
    """A phonetic key (metaphone of each word); hyphens separate words."""
    return "".join(jellyfish.metaphone(part) for part in text.replace("-", " ").split())


_INFLECTIONS = ("s", "es", "d", "ed", "ing", "er", "ers", "ly")


def _same_stem(a: str, b: str) -> bool:
    """True when one spelling is the other plus an English inflection ("reaccelerate" and
    "reaccelerated"): a different word form, not a misspelling."""
    short, long = sorted((a, b), key=len)
    for stem in (short, short[:-1] if short.endswith("e") else short):
        if len(stem) >= 4 and long.startswith(stem) and long[len(stem) :] in _INFLECTIONS:
            return True
    return False


def _similarity(a: str, b: str) -> float:
    if not a and not b:
        return 1.0
    return 1.0 - jellyfish.levenshtein_distance(a, b) / max(len(a), len(b))


def bare(text: str) -> str:
    return text.strip(EDGE_PUNCT)


def leading_punct(text: str) -> str:
    return text[: len(text) - len(text.lstrip(EDGE_PUNCT))]


def trailing_punct(text: str) -> str:
    stripped = text.rstrip(EDGE_PUNCT)
    return text[len(stripped) :]
