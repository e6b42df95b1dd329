"""A customer's house spellings: learned from their text, applied to the decode."""

from sagemaker_jobs.asr.custom import RequestOptions, build
from sagemaker_jobs.asr.custom.apply import correct
from sagemaker_jobs.asr.custom.edits import TranscriptEdits
from sagemaker_jobs.asr.custom.request import SpellingRule
from sagemaker_jobs.asr.custom.style import HouseStyle
from sagemaker_jobs.asr.result import TranscriptionResult, Word


def _result(text: str) -> TranscriptionResult:
    words = tuple(Word(text=t, start=i * 100, end=i * 100 + 90, confidence=0.9) for i, t in enumerate(text.split()))
    return TranscriptionResult(
        text=text, words=words, confidence=0.9, audio_duration_s=len(words) / 10, language_code="en", model_name="m"
    )


def _restyled(style: HouseStyle, text: str) -> TranscriptionResult:
    edits = TranscriptEdits(_result(text))
    edits.restyle(style)
    return edits.result()


def test_a_form_the_customer_always_writes_replaces_the_decoders() -> None:
    style = HouseStyle.of(["OK, thanks.", "That is OK.", "OK? Good.", "ok then"])
    assert ("okay", "OK") in style.spellings
    result = _restyled(style, "Okay, fine. It's okay.")
    assert result.text == "OK, fine. It's OK."
    assert [w.text for w in result.words] == ["OK,", "fine.", "It's", "OK."]
    assert [(w.start, w.end) for w in result.words] == [(0, 90), (100, 190), (200, 290), (300, 390)]


def test_a_form_used_too_rarely_or_mixed_with_others_is_no_style() -> None:
    assert HouseStyle.of(["OK, thanks.", "That is OK."]).spellings == ()  # twice is not a habit
    assert HouseStyle.of(["OK.", "OK.", "OK.", "Okay.", "Okay."]).spellings == ()  # 60 % is not a rule


def test_open_compounds_become_closed_only_when_they_are_one_word() -> None:
    style = HouseStyle.of(["Our healthcare plan.", "More healthcare.", "Healthcare costs.", "Maybe.", "maybe", "Maybe so."])
    assert ("health care", "healthcare") in style.spellings
    result = _restyled(style, "Health care is what it may be.")
    assert result.text == "Healthcare is what it may be."  # capital kept; "may be" is not "maybe"


def test_hyphens_follow_the_customer_both_ways() -> None:
    hyphenated = HouseStyle.of(["Send an e-mail.", "The e-mail bounced.", "One more e-mail."])
    assert _restyled(hyphenated, "I got your email.").text == "I got your e-mail."
    closed = HouseStyle.of(["The followup call.", "A followup visit.", "No followup needed."])
    assert _restyled(closed, "Book a follow-up. Follow-up done.").text == "Book a followup. Followup done."
    assert closed.closed_form("x-ray") is None  # a word the customer never writes closed stays


def test_a_models_house_style_applies_and_the_requests_own_spelling_wins() -> None:
    artifact, _ = build(["OK, we sent the e-mail.", "OK, the e-mail is out.", "Check the e-mail. OK?"] * 2)
    assert correct(_result("Okay, check your email."), artifact).text == "OK, check your e-mail."
    request = RequestOptions(custom_spelling=(SpellingRule(sources=("e-mail",), target="E-Mail"),))
    assert correct(_result("Okay, check your email."), artifact, request).text == "OK, check your E-Mail."
