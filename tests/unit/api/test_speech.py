"""Which base model and language a request asks for (hark_core.speech), without the engine."""

import pytest
from faster_whisper.tokenizer import _LANGUAGE_CODES

from hark_core import speech
from sagemaker_jobs.asr import speech_models


def test_the_api_and_the_containers_name_the_same_models_and_languages() -> None:
    assert set(speech.MODELS) == set(speech_models.NAMES)
    assert {name for name, multilingual in speech.MODELS.items() if multilingual} == {
        m.name for m in speech_models.MODELS.values() if m.multilingual
    }
    # Cantonese is in the tokenizer for large-v3 only; whisper-base does not know it.
    assert speech.WHISPER_LANGUAGES == set(_LANGUAGE_CODES) - {"yue"}


@pytest.mark.parametrize(
    ("code", "whisper"),
    [("en_us", "en"), ("EN_UK", "en"), ("es", "es"), ("jv", "jw"), ("haw", "haw"), ("xx", None), ("yue", None)],
)
def test_assemblyai_language_codes_map_to_whisper_ones(code: str, whisper: str | None) -> None:
    assert speech.whisper_language(code) == whisper


def test_the_model_is_chosen_from_the_name_the_language_and_detection() -> None:
    assert speech.choose(None, None, detect=False) == speech.TINY_EN
    assert speech.choose(None, "en", detect=False) == speech.TINY_EN
    assert speech.choose(None, "de", detect=False) == speech.BASE
    assert speech.choose(None, None, detect=True) == speech.BASE
    assert speech.choose(speech.BASE, "en", detect=False) == speech.BASE
    # Personal data: base hears spoken numbers better (bench/pii.py); a named tiny.en stays.
    assert speech.choose(None, None, detect=False, personal_data=True) == speech.BASE
    assert speech.choose(speech.TINY_EN, None, detect=False, personal_data=True) == speech.TINY_EN
    assert speech.base_model("Universal") == speech.BASE and speech.base_model("nano") == speech.TINY_EN
    assert speech.base_model("mdl_0123") is None
    with pytest.raises(ValueError, match="English-only"):
        speech.choose(speech.TINY_EN, "de", detect=False)
