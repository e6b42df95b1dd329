"""punctuate: false and format_text: false, per word and on a stored result."""
from __future__ import annotations

import pytest

from chalicelib.orchestration.jobs import as_requested
from hark_core.formatting import mask_profanity, restyle, spelled_words
from hark_core.inference import InferenceResult, Word
from hark_core.options import TranscriptOptions


@pytest.mark.parametrize(
    ("text", "punctuate", "format_text", "expected"),
    [
        ("Hello,", True, True, "Hello,"),
        ("Hello,", False, True, "Hello"),
        ("Hello,", True, False, "hello,"),
        ("Hello,", False, False, "hello"),
        ('"Don\'t!"', False, False, "don't"),
        ("students'", False, True, "students'"),
        ("3.5%", False, True, "3.5%"),
        ("-fattened", False, True, "fattened"),
        ("—", False, True, ""),
    ],
)
def test_restyle(text: str, punctuate: bool, format_text: bool, expected: str) -> None:
    assert restyle(text, punctuate=punctuate, format_text=format_text) == expected


def test_custom_spelling_targets_keep_their_case() -> None:
    keep = spelled_words(["Kavanaugh Biolabs", "A.I."])
    assert keep == {"Kavanaugh", "Biolabs", "A.I"}
    assert restyle("Biolabs.", punctuate=False, format_text=False, keep=keep) == "Biolabs"
    assert restyle("Biolabs.", punctuate=True, format_text=False, keep=keep) == "Biolabs."


def _result() -> InferenceResult:
    words = [("Call", 0), ("Kavanaugh", 300), ("Biolabs,", 600), ("—", 900), ("now!", 1200)]
    return InferenceResult(
        text="Call Kavanaugh Biolabs, — now!",
        words=[Word(text=t, start=s, end=s + 300, confidence=0.9) for t, s in words],
        confidence=0.9,
        audio_duration=1.5,
        language_code="en_us",
    )


def test_a_stored_result_gets_the_requested_style_in_text_and_words() -> None:
    spelling = [{"from": ["cavano"], "to": "Kavanaugh Biolabs"}]
    styled = as_requested(_result(), TranscriptOptions.model_validate({"punctuate": False, "format_text": False, "custom_spelling": spelling}))
    assert styled.text == "call Kavanaugh Biolabs now"
    assert [(w.text, w.start) for w in styled.words] == [
        ("call", 0), ("Kavanaugh", 300), ("Biolabs", 600), ("now", 1200)
    ]


@pytest.mark.parametrize("options", [{}, {"punctuate": True, "format_text": True}])
def test_the_default_keeps_the_engines_result(options: dict[str, bool]) -> None:
    assert as_requested(_result(), TranscriptOptions.model_validate(options)) == _result()


def _spoken(text: str) -> InferenceResult:
    return InferenceResult(
        text=text,
        words=[Word(text=t, start=300 * i, end=300 * i + 300, confidence=0.9) for i, t in enumerate(text.split())],
        confidence=0.9,
        audio_duration=3.0,
        language_code="en_us",
    )


def test_fillers_are_removed_unless_disfluencies_are_asked_for() -> None:
    heard = _spoken("So, um, I think, uh, we should go, uh.")
    assert as_requested(heard, TranscriptOptions()).text == "So, I think, we should go."
    assert [w.start for w in as_requested(heard, TranscriptOptions()).words] == [0, 600, 900, 1500, 1800, 2100]
    assert as_requested(heard, TranscriptOptions.model_validate({"disfluencies": True})) == heard
    assert as_requested(_spoken("Umbrellas and hummus."), TranscriptOptions()).text == "Umbrellas and hummus."


@pytest.mark.parametrize(
    ("word", "masked"),
    [("damn", "d***"), ("Shit's,", "S***'s,"), ('"bitch!"', '"b****!"'), ("class", "class"), ("Scunthorpe", "Scunthorpe")],
)
def test_profanity_is_masked_as_assemblyai_does(word: str, masked: str) -> None:
    assert mask_profanity(word) == masked
    assert as_requested(_spoken(f"well {word} indeed"), TranscriptOptions.model_validate({"filter_profanity": True})).text == f"well {masked} indeed"
