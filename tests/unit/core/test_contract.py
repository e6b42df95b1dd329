"""The contract every process shares (hark_core): one options model from the API's request to
the container, through the record and the inference request, with nothing lost or added."""
from __future__ import annotations

import pytest
from pydantic import ValidationError

from hark_core.inference import InferenceRequest
from hark_core.options import JobOptions, TranscriptOptions
from hark_core.records import TranscriptRecord

ASKED = {
    "custom_spelling": [{"from": ["hark ai"], "to": "Hark AI"}],
    "keyterms_prompt": ["Zentrix Omniflow"],
    "speaker_labels": True,
    "speaker_options": {"min_speakers_expected": 2},
    "temperature": 0.2,
    "redact_pii": True,
    "redact_pii_policies": ["person_name"],
    "webhook_url": "https://example.com/hook",
    "webhook_auth_header_name": "X-Secret",
    "webhook_auth_header_value": "s3cret",
}


def test_options_travel_from_the_record_to_the_container_unchanged() -> None:
    options = JobOptions.model_validate({**ASKED, "base_model": "whisper-base", "custom_model_uri": "s3://b/m.tar.gz"})
    record = TranscriptRecord("tenant", "id", "https://example.com/a.wav", options=options)

    stored = TranscriptRecord.from_item(record.to_item())
    assert stored.options == options
    assert record.to_item()["options"]["custom_spelling"] == [{"from": ["hark ai"], "to": "Hark AI"}]

    sent = InferenceRequest(audio_uri="s3://b/a.wav", options=stored.options.for_container())
    received = InferenceRequest.model_validate_json(sent.to_json())
    assert received.options == options.model_copy(
        update={"webhook_url": None, "webhook_auth_header_name": None, "webhook_auth_header_value": None}
    )
    assert b"s3cret" not in sent.to_json()  # the webhook's secret stays with the API


def test_an_option_a_process_does_not_know_is_refused_not_ignored() -> None:
    with pytest.raises(ValidationError, match="future_option"):
        InferenceRequest.model_validate({"audio_uri": "s3://b/a.wav", "options": {"future_option": True}})


@pytest.mark.parametrize(
    "options",
    [
        {"redact_pii_sub": "hash"},  # needs redact_pii
        {"language_detection": True, "language_code": "es"},
        {"audio_start_from": 5000, "audio_end_at": 4000},
        {"speaker_options": {"min_speakers_expected": 3, "max_speakers_expected": 2}, "speaker_labels": True},
        {"language_code": "tlh"},
    ],
)
def test_the_same_rules_hold_in_every_process(options: dict) -> None:
    with pytest.raises(ValidationError):
        TranscriptOptions.model_validate(options)
    with pytest.raises(ValidationError):
        JobOptions.model_validate(options)


def test_pii_policies_are_those_asked_or_all() -> None:
    assert TranscriptOptions().pii_policies == ()
    assert TranscriptOptions(redact_pii=True, redact_pii_policies=["email_address"]).pii_policies == ("email_address",)
    assert "person_name" in TranscriptOptions(redact_pii=True).pii_policies
