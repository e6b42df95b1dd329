"""Word search over words."""
from __future__ import annotations

from collections.abc import Callable

from chalicelib.exports.search import Match, search
from hark_core.inference import Word

Words = Callable[..., list[Word]]


def test_case_and_punctuation_do_not_matter(words: Words) -> None:
    given = words("Stew, stew and STEW. Mr. O'Brien's stew-pot")
    assert search(given, ["stew", "o'briens", "OBRIENS", "stewpot"]) == [
        Match("stew", 3, [(0, 300), (300, 600), (900, 1200)], [0, 1, 3]),
        Match("o'briens", 1, [(1500, 1800)], [5]),
        Match("OBRIENS", 1, [(1500, 1800)], [5]),
        Match("stewpot", 1, [(1800, 2100)], [6]),
    ]


def test_phrases_match_across_punctuation_and_give_first_index_and_whole_span(words: Words) -> None:
    given = words("We met in New York. York, new and New, York again")
    (match,) = search(given, ["new york"])
    assert match.indexes == [3, 8]
    assert match.timestamps == [(900, 1500), (2400, 3000)]


def test_terms_never_said_count_zero_in_the_order_asked(words: Words) -> None:
    found = search(words("a b c"), ["zebra", "b", "  ", "b c d"])
    assert [(m.text, m.count) for m in found] == [("zebra", 0), ("b", 1), ("  ", 0), ("b c d", 0)]


def test_occurrences_of_a_phrase_do_not_overlap(words: Words) -> None:
    (match,) = search(words("ha ha ha ha ha"), ["ha ha"])
    assert match.indexes == [0, 2]
