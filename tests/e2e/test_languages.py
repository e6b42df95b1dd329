"""Languages other than English, through the official SDK and the API: the multilingual
whisper-base detects the language or decodes the one named; tiny.en stays English's default."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import Stack, upload


def test_sdk_detects_spanish_and_transcribes_it_with_the_multilingual_model(sdk: Any, audio_dir: Path) -> None:
    # FLEURS (CC BY 4.0): "los luchadores compañeros de luna también le rindieron homenaje"
    config = sdk.TranscriptionConfig(language_detection=True)
    transcript = sdk.Transcriber().transcribe(str(audio_dir / "fleurs_es.ogg"), config)

    assert transcript.status == sdk.TranscriptStatus.completed, transcript.error
    body = transcript.json_response
    assert body["language_code"] == "es"
    assert body["language_detection"] is True and body["language_confidence"] > 0.8
    assert body["speech_model_used"] == "whisper-base"
    assert "luchadores" in transcript.text.lower() and "homenaje" in transcript.text.lower(), transcript.text


def test_sdk_transcribes_the_language_named_in_language_code(sdk: Any, audio_dir: Path) -> None:
    config = sdk.TranscriptionConfig(language_code="de")
    transcript = sdk.Transcriber().transcribe(str(audio_dir / "fleurs_de.ogg"), config)

    assert transcript.status == sdk.TranscriptStatus.completed, transcript.error
    assert transcript.json_response["language_code"] == "de"
    assert "sediment" in transcript.text.lower(), transcript.text


def test_a_detected_language_below_the_threshold_ends_the_job_in_error(sdk: Any, audio_dir: Path) -> None:
    config = sdk.TranscriptionConfig(language_detection=True, language_confidence_threshold=0.9999)
    transcript = sdk.Transcriber().transcribe(str(audio_dir / "fleurs_es.ogg"), config)

    assert transcript.status == sdk.TranscriptStatus.error
    assert "below the language_confidence_threshold of 0.9999" in (transcript.error or ""), transcript.error


def test_english_uses_tiny_en_unless_speech_models_names_the_multilingual_one(sdk: Any, audio_dir: Path) -> None:
    clip = str(audio_dir / "ls_1089-134686-0000.flac")
    default = sdk.Transcriber().transcribe(clip)
    chosen = sdk.Transcriber().transcribe(clip, sdk.TranscriptionConfig(speech_models=["universal", "nano"]))

    assert default.json_response["speech_model_used"] == "whisper-tiny.en"
    assert chosen.status == sdk.TranscriptStatus.completed, chosen.error
    assert chosen.json_response["speech_model_used"] == "whisper-base"
    assert chosen.json_response["language_code"] == "en_us"


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"language_detection": True, "speech_model": "nano"}, "whisper-tiny.en is English-only"),
        ({"language_code": "fr", "speech_models": ["whisper-tiny.en"]}, "whisper-tiny.en is English-only"),
        ({"language_detection": True, "language_code": "es"}, "not both"),
        ({"language_code": "tlh"}, "language 'tlh' is not supported"),
        ({"speech_model": "whisper-large-v3"}, "'whisper-large-v3' is not offered"),
        ({"speech_models": ["slam-2"]}, "'slam-2' is not offered"),
        ({"language_codes": ["en", "es"]}, "language_codes"),
    ],
)
def test_what_the_models_cannot_do_is_refused_by_name(
    stack: Stack, audio_dir: Path, options: dict[str, Any], message: str
) -> None:
    url = upload(stack, audio_dir / "fleurs_es.ogg")
    with stack.client() as c:
        response = c.post("/v2/transcript", json={"audio_url": url, **options})
    assert response.status_code == 400, response.text
    assert message in response.json()["error"]
