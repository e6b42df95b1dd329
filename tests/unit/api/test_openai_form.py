"""The OpenAI-compatible form: multipart fields → Hark's transcript options."""
from __future__ import annotations

import httpx
import pytest

from chalicelib.api import openai
from chalicelib.api.multipart import parse_form
from hark_core.errors import BadRequest, UnsupportedMediaType


def form(files: dict | None = None, **data: object) -> list:
    request = httpx.Request("POST", "http://hark/v1/audio/transcriptions", files=files or {"file": ("a.wav", b"RIFF\x00\xff\r\n--")}, data=data)
    return parse_form(request.headers["content-type"], request.read())


def test_the_file_stays_byte_exact_and_list_fields_collect() -> None:
    audio, parsed = openai.parse(form(model="whisper-1", **{"timestamp_granularities[]": ["word", "segment"]}))
    assert audio == b"RIFF\x00\xff\r\n--"
    assert parsed.timestamp_granularities == ["word", "segment"]
    assert parsed.transcript_options() == {}


def test_a_model_id_selects_the_custom_model_and_the_prompt_becomes_key_terms() -> None:
    model_id = "0190a8e2-1234-7000-8000-0000000000ab"
    _, parsed = openai.parse(form(model=model_id, prompt="Zentrix, Omniflow Pro\nKavanaugh", language="en"))
    assert parsed.transcript_options() == {
        "custom_model_id": model_id,
        "keyterms_prompt": ["Zentrix", "Omniflow Pro", "Kavanaugh"],
        "language_code": "en",
    }


@pytest.mark.parametrize("data", [{"model": "whisper-1", "response_format": "mp3"}, {"model": "whisper-1", "speaker": "x"}, {}])
def test_bad_fields_are_bad_requests(data: dict) -> None:
    with pytest.raises(BadRequest):
        openai.parse(form(**data))


def test_no_file_or_not_multipart() -> None:
    with pytest.raises(BadRequest, match="file"):
        openai.parse(form(files={"other": ("a.wav", b"x")}, model="whisper-1"))
    with pytest.raises(UnsupportedMediaType):
        parse_form("application/json", b"{}")


def test_errors_have_openais_shape() -> None:
    assert openai.error_body(401, "no")["error"] == {"message": "no", "type": "authentication_error", "param": None, "code": None}
