"""Sentences and paragraphs from words."""
from __future__ import annotations

from collections.abc import Callable

import pytest

from chalicelib.exports.segments import (
    PARAGRAPH_MAX_WORDS,
    PARAGRAPH_PAUSE_MS,
    SENTENCE_MAX_WORDS,
    SENTENCE_PAUSE_MS,
    paragraphs,
    sentences,
    utterances,
)
from chalicelib.exports.words import Segment
from hark_core.inference import Word

Words = Callable[..., list[Word]]


def texts(segments: list[Segment]) -> list[str]:
    return [s.text for s in segments]


def test_sentences_end_at_final_punctuation(words: Words) -> None:
    found = sentences(words("Hello there. How are you? Fine! And you…  well"))
    assert texts(found) == ["Hello there.", "How are you?", "Fine!", "And you…", "well"]


def test_sentences_end_at_other_languages_marks(words: Words) -> None:
    assert texts(sentences(words("¿Qué tal? «Bien.» Gracias"))) == ["¿Qué tal?", "«Bien.»", "Gracias"]
    assert texts(sentences(words("هل أنت بخير؟ نعم"))) == ["هل أنت بخير؟", "نعم"]


def test_titles_and_closing_quotes(words: Words) -> None:
    found = sentences(words('Mr. Smith said "stop." Dr. Jones (e.g. me) left.'))
    assert texts(found) == ['Mr. Smith said "stop."', "Dr. Jones (e.g. me) left."]


def test_a_long_pause_ends_an_unpunctuated_sentence_and_a_short_one_does_not(words: Words) -> None:
    found = sentences(words("so we went home then we slept", gaps={2: SENTENCE_PAUSE_MS - 1, 4: SENTENCE_PAUSE_MS}))
    assert texts(found) == ["so we went home", "then we slept"]


def test_a_sentence_with_no_end_in_sight_is_cut(words: Words) -> None:
    found = sentences(words(" ".join(["word"] * (2 * SENTENCE_MAX_WORDS + 1))))
    assert [len(s.words) for s in found] == [SENTENCE_MAX_WORDS, SENTENCE_MAX_WORDS, 1]


def test_segment_times_and_confidence_come_from_its_words() -> None:
    found = sentences([Word("Hi.", 100, 400, 0.5), Word("Bye", 900, 1200, 1.0), Word("now.", 1200, 1500, 0.8)])
    assert [(s.start, s.end) for s in found] == [(100, 400), (900, 1500)]
    assert found[1].confidence == pytest.approx(0.9)


def test_paragraphs_break_at_long_pauses_between_whole_sentences(words: Words) -> None:
    text = "One two. Three four. Five six. Seven eight."
    found = paragraphs(words(text, gaps={2: PARAGRAPH_PAUSE_MS - 1, 4: PARAGRAPH_PAUSE_MS}))
    assert texts(found) == ["One two. Three four.", "Five six. Seven eight."]


def test_a_paragraph_that_grew_too_long_takes_no_further_sentence(words: Words) -> None:
    sentence = " ".join(["word"] * 9) + " end."
    found = paragraphs(words(" ".join([sentence] * 30)))
    assert all(len(p.words) <= PARAGRAPH_MAX_WORDS for p in found)
    assert len(found) == -(-30 * 10 // PARAGRAPH_MAX_WORDS)
    assert all(p.text.endswith("end.") for p in found)


@pytest.mark.parametrize("split", [sentences, paragraphs])
def test_every_word_is_in_exactly_one_segment_in_order(
    words: Words, split: Callable[[list[Word]], list[Segment]]
) -> None:
    given = words("A b c. D e, f? G " + " ".join(["h"] * 200) + " i.", gaps={5: 5000, 9: 1500})
    assert [w for s in split(given) for w in s.words] == given
    assert split([]) == []


def test_utterances_are_speaker_turns_and_sentences_end_at_a_change_of_speaker() -> None:
    speakers = ["A", "A", "B", "B", "B", "A"]
    spoken = [Word(t, 300 * i, 300 * i + 250, 0.9, s) for i, (t, s) in enumerate(zip("so we agree yes we do".split(), speakers))]
    assert [(u.speaker, u.text) for u in utterances(spoken)] == [("A", "so we"), ("B", "agree yes we"), ("A", "do")]
    assert [s.speaker for s in sentences(spoken)] == ["A", "B", "A"]
    assert [p.speaker for p in paragraphs(spoken)] == ["A", "B", "A"]


def test_no_utterances_without_speaker_labels(words: Words) -> None:
    assert utterances(words("Hello there. How are you?")) == []
