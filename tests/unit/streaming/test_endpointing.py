"""End-of-turn confidence from a turn's text."""

import pytest

from hark_streaming.endpointing import CONTINUES, READS_FINISHED, SENTENCE_END, UNFINISHED, end_of_turn_confidence
from hark_streaming.protocol import TurnSettings

DEFAULT = TurnSettings().end_of_turn_confidence_threshold


@pytest.mark.parametrize(
    "text, expected",
    [
        ("He could wait no longer.", SENTENCE_END),
        ('And to be a blessed soul in heaven."', SENTENCE_END),
        ("Is that right?", SENTENCE_END),
        ("but he could wait no longer", READS_FINISHED),  # Whisper left the period off
        ("I did that", READS_FINISHED),
        ("We grew revenue in every region and", CONTINUES),
        ("The results of the", CONTINUES),
        ("So I think we, um", CONTINUES),
        ("Revenue grew,", CONTINUES),
        ("It was going to be...", UNFINISHED),
        ("", UNFINISHED),
    ],
)
def test_confidence_follows_what_the_text_says_of_its_end(text: str, expected: float) -> None:
    assert end_of_turn_confidence(text) == expected


def test_at_assemblyais_default_threshold_only_a_sentence_end_ends_a_turn_early() -> None:
    assert end_of_turn_confidence("No longer.") >= DEFAULT > end_of_turn_confidence("but he could wait no longer")
    # A caller who wants turns to end sooner lowers the threshold: then a text with no sign of
    # more to come ends too, one that needs more words still waits.
    assert end_of_turn_confidence("but he could wait no longer") >= 0.3 > end_of_turn_confidence("the quarter of the")
