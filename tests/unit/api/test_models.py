"""Request validation and id ordering."""
from __future__ import annotations

import pytest
from pydantic import ValidationError

from chalicelib.api.models import SubtitleParams, WordSearchParams
from chalicelib.orchestration.jobs import _error_message
from chalicelib.services.requests import TranscriptRequest
from hark_core.errors import BadRequest, UnsupportedFeature
from hark_core.records import new_id


def test_ids_sort_by_creation_even_within_one_millisecond() -> None:
    ids = [new_id() for _ in range(5000)]
    assert ids == sorted(ids)
    assert len(set(ids)) == len(ids)


def test_unknown_fields_are_named() -> None:
    with pytest.raises(BadRequest) as caught:
        TranscriptRequest.parse({"audio_url": "https://x/a.wav", "speaker_count": 2})
    assert caught.value.message == "speaker_count: Extra inputs are not permitted"


def test_assemblyai_features_switched_off_are_accepted_and_switched_on_are_refused_by_name() -> None:
    assert TranscriptRequest.parse({"audio_url": "https://x/a.wav", "summarization": False, "word_boost": []})
    with pytest.raises(UnsupportedFeature, match="auto_chapters, summarization"):
        TranscriptRequest.parse({"audio_url": "https://x/a.wav", "summarization": True, "auto_chapters": True})


@pytest.mark.parametrize("code", ["en", "en_us", "EN_US", "en_uk"])
def test_english_language_codes_are_accepted(code: str) -> None:
    assert TranscriptRequest.parse({"audio_url": "https://x/a.wav", "language_code": code}).language_code == code.lower()


def test_unpunctuated_unformatted_output_can_be_asked_for() -> None:
    request = TranscriptRequest.parse({"audio_url": "https://x/a.wav", "punctuate": False, "format_text": False})
    assert (request.punctuate, request.format_text) == (False, False)


def test_word_search_takes_comma_separated_words_and_phrases_of_up_to_five_words() -> None:
    parsed = WordSearchParams.model_validate({"words": "stew, New York ,,a b c d e"})
    assert parsed.words == ["stew", "New York", "a b c d e"]
    for words in ("", " , ", "a b c d e f"):
        with pytest.raises(ValidationError):
            WordSearchParams.model_validate({"words": words})
    with pytest.raises(ValidationError):
        WordSearchParams.model_validate({})


def test_chars_per_caption_comes_from_the_query_string() -> None:
    assert SubtitleParams.model_validate({"chars_per_caption": "32"}).chars_per_caption == 32
    assert SubtitleParams.model_validate({}).chars_per_caption is None
    for bad in ("0", "many"):
        with pytest.raises(ValidationError):
            SubtitleParams.model_validate({"chars_per_caption": bad})


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"error": "the audio file contains no audio"}', "the audio file contains no audio"),
        ("ClientError: Received client error (400) from model", "ClientError: Received client error (400) from model"),
        ("", None),
        (None, None),
    ],
)
def test_failure_reasons_prefer_the_containers_message(text: str | None, message: str | None) -> None:
    assert _error_message(text) == message


def test_a_malformed_request_is_a_bad_request_naming_the_field_for_every_caller() -> None:
    # The drop folder parses sidecars with the same method the API uses.
    with pytest.raises(BadRequest, match="speakers_expected"):
        TranscriptRequest.parse({"audio_url": "https://x/a.wav", "speakers_expected": "two"})


def test_prompt_and_audio_range_are_read_and_checked() -> None:
    from chalicelib.services.requests import TranscriptRequest

    request = TranscriptRequest.parse({"audio_url": "https://x/a.mp3", "prompt": "a call", "audio_start_from": 0, "audio_end_at": 9000})
    assert (request.prompt, request.audio_start_from, request.audio_end_at) == ("a call", 0, 9000)
    with pytest.raises(BadRequest, match="audio_end_at must be after audio_start_from"):
        TranscriptRequest.parse({"audio_url": "https://x/a.mp3", "audio_start_from": 9000, "audio_end_at": 9000})
    with pytest.raises(BadRequest, match="audio_start_from"):
        TranscriptRequest.parse({"audio_url": "https://x/a.mp3", "audio_start_from": -1})
    with pytest.raises(BadRequest, match="the most is 1500"):
        TranscriptRequest.parse({"audio_url": "https://x/a.mp3", "prompt": "word " * 1501})
