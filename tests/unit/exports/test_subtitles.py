"""Captions from words, rendered as SRT and WebVTT and read back by real parsers."""
from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
import srt
import webvtt

from chalicelib.exports.subtitles import DEFAULT_CHARS_PER_CAPTION, Caption, captions, render
from hark_core.inference import Word

Words = Callable[..., list[Word]]
SPEECH = "The quick brown fox jumps over the lazy dog. It was not amused, and neither was the cat next door."


@pytest.mark.parametrize("limit", [1, 10, 32, 80])
def test_captions_hold_whole_words_up_to_the_limit(words: Words, limit: int) -> None:
    given = words(SPEECH + " Antidisestablishmentarianism")
    found = captions(given, limit)
    assert " ".join(c.text for c in found) == " ".join(w.text for w in given)
    for caption in found:
        assert len(caption.text) <= limit or " " not in caption.text  # a long word stands alone


def test_captions_do_not_span_sentences(words: Words) -> None:
    found = captions(words(SPEECH), 200)
    assert [c.text for c in found] == ["The quick brown fox jumps over the lazy dog.", SPEECH.split(". ")[1]]


def test_caption_times_come_from_words_and_never_overlap() -> None:
    given = [
        Word("one", 0, 500, 1.0),
        Word("two.", 450, 900, 1.0),  # starts before the previous word ends
        Word("three", 800, 800, 1.0),  # zero length, and before the previous end
        Word("four.", 1000, 1400, 1.0),
    ]
    found = captions(given, 5)
    assert [(c.start, c.end, c.text) for c in found] == [
        (0, 450, "one"),
        (450, 800, "two."),
        (800, 1000, "three"),
        (1000, 1400, "four."),
    ]
    assert all(a.end <= b.start and a.start <= a.end for a, b in zip(found, found[1:]))


def test_without_a_limit_captions_are_a_subtitle_line_or_two(words: Words) -> None:
    given = words(" ".join(["word"] * 50))
    assert captions(given) == captions(given, DEFAULT_CHARS_PER_CAPTION)
    assert max(len(c.text) for c in captions(given)) == 79  # 16 four-letter words and their spaces


def test_a_word_with_no_duration_is_still_shown_where_there_is_room() -> None:
    found = captions([Word("Hi.", 100, 100, 1.0), Word("There.", 2000, 2500, 1.0)])
    assert found == [Caption(100, 400, "Hi."), Caption(2000, 2500, "There.")]


def test_srt_reads_back_with_exact_times(words: Words) -> None:
    given = words(SPEECH, start=3_723_004)  # 01:02:03,004
    body = render("srt", given, 32)
    assert body.startswith("1\n01:02:03,004 --> ")
    parsed = list(srt.parse(body))
    expected = captions(given, 32)
    assert [p.index for p in parsed] == list(range(1, len(expected) + 1))
    assert [(p.start, p.end, p.content) for p in parsed] == [
        (timedelta(milliseconds=c.start), timedelta(milliseconds=c.end), c.text) for c in expected
    ]


def test_vtt_reads_back_with_exact_times_and_escaped_markup(words: Words) -> None:
    given = words("Call AT&T <now>. Please.", start=61_500)
    body = render("vtt", given, 32)
    assert body.startswith("WEBVTT\n\n00:01:01.500 --> ")
    parsed = webvtt.from_string(body)
    expected = captions(given, 32)
    assert [(c.start, c.end) for c in parsed] == [(_vtt(c.start), _vtt(c.end)) for c in expected]
    assert [c.text for c in parsed] == ["Call AT&amp;T &lt;now&gt;.", "Please."]


def test_no_words_is_an_empty_but_valid_file() -> None:
    assert list(srt.parse(render("srt", []))) == []
    assert list(webvtt.from_string(render("vtt", []))) == []


def _vtt(ms: int) -> str:
    return f"{ms // 3_600_000:02}:{ms // 60_000 % 60:02}:{ms // 1000 % 60:02}.{ms % 1000:03}"
