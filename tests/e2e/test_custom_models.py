"""Custom models through the API on the local stack: create from text or an uploaded corpus,
train as a SageMaker training job, read metrics, delete; bad corpora end in error."""
from __future__ import annotations

import io
import time
import zipfile
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import AUDIO_FIXTURES
from tests.e2e.conftest import Stack, submit, upload

CALL_CENTRE = [
    "Thank you for calling Zentrix support, this is Marisol speaking.",
    "Please power cycle the Omniflow router and check the Zentrix app for updates.",
    "Your Omniflow Pro plan includes the Kavanaugh Biolabs wellness add-on.",
    "I have escalated the ticket to our Zentrix Omniflow engineering team.",
    "You can also reach Kavanaugh Biolabs directly about the add-on.",
]


def create(stack: Stack, key: str | None = None, **body: Any) -> dict[str, Any]:
    with stack.client(key) as c:
        response = c.post("/v2/model", json=body)
    assert response.status_code == 200, response.text
    return dict(response.json())


def wait_model(stack: Stack, model_id: str, key: str | None = None, timeout: float = 120) -> dict[str, Any]:
    with stack.client(key) as c:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            body = c.get(f"/v2/model/{model_id}").json()
            if body["status"] in ("ready", "error"):
                return dict(body)
            time.sleep(0.3)
    raise AssertionError(f"model {model_id} did not finish in {timeout} s")


def test_a_model_trains_from_texts_and_phrases(stack: Stack) -> None:
    model = create(stack, name="support line", texts=CALL_CENTRE, phrases=["Zentrix", "Omniflow Pro"])
    assert model["status"] in ("queued", "training")
    assert model["sizes"]["texts"] == len(CALL_CENTRE) and model["sizes"]["phrases"] == 2

    ready = wait_model(stack, model["id"])

    assert ready["status"] == "ready", ready["error"]
    assert ready["sizes"]["artifact_bytes"] > 0
    metrics = ready["metrics"]
    assert metrics["corpus_words"] > 40 and metrics["corpus_sentences"] == len(CALL_CENTRE)
    found = {p["text"] for p in metrics["domain_phrases"]}
    assert {"Zentrix", "Omniflow Pro", "Kavanaugh Biolabs"} <= found


def test_a_corpus_uploaded_to_the_presigned_url_trains_the_model(stack: Stack) -> None:
    model = create(stack, name="uploaded corpus")
    assert model["status"] == "queued"
    with stack.client() as c:
        upload = c.post(f"/v2/model/{model['id']}/corpus").json()
    csv = "text,phrase\n" + "\n".join(f'"{t}",' for t in CALL_CENTRE) + "\n,Marisol\n"
    assert httpx.put(upload["upload_url"], content=csv.encode()).status_code == 200

    ready = wait_model(stack, model["id"])

    assert ready["status"] == "ready", ready["error"]


def test_a_corpus_archive_with_recordings_reports_wer_without_and_with_the_model(stack: Stack, audio_dir: Path) -> None:
    """A ZIP of text and (recording, reference) pairs: training transcribes the recordings
    without and with a model that has not seen their references, and the record says how it did."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("history.txt", "\n".join(CALL_CENTRE))
        z.write(audio_dir / "custom_model_names.ogg", "calls/names.ogg")
        z.writestr(
            "calls/names.txt",
            "Please reset the Zentrix Omniflow router and call Kavanaugh Biolabs. "
            "Our Zentrix Omniflow sales grew, and Kavanaugh Biolabs renewed the contract.",
        )
    model = create(stack, name="with recordings")
    with stack.client() as c:
        upload = c.post(f"/v2/model/{model['id']}/corpus").json()
    assert httpx.put(upload["upload_url"], content=buffer.getvalue()).status_code == 200

    ready = wait_model(stack, model["id"])

    assert ready["status"] == "ready", ready["error"]
    evaluation = ready["metrics"]["evaluation"]
    assert evaluation["pairs"] == 1 and evaluation["evaluated"] == 1
    assert evaluation["audio_seconds"] > 5
    assert evaluation["wer_with"] < evaluation["wer_without"], evaluation
    assert evaluation["per_pair"][0]["name"] == "calls/names.ogg"


@pytest.mark.parametrize(
    ("corpus", "fragment"),
    [
        (b"\x00\x01\x02binary\x00" * 50, "binary"),
        ("caf\xe9 latt\xe9 ".encode("latin-1") * 20, "UTF-8"),
        (b"", "no text"),
    ],
)
def test_bad_corpora_end_in_error_with_a_reason(stack: Stack, corpus: bytes, fragment: str) -> None:
    model = create(stack, name="bad corpus")
    with stack.client() as c:
        upload = c.post(f"/v2/model/{model['id']}/corpus").json()
    assert httpx.put(upload["upload_url"], content=corpus).status_code == 200

    done = wait_model(stack, model["id"])

    assert done["status"] == "error"
    assert fragment in done["error"]


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({}, "name"),
        ({"name": "x", "texts": "not a list"}, "texts"),
        ({"name": "x", "texts": ["   ", ""]}, "empty"),
        ({"name": "x", "phrases": [""]}, "phrases"),
        ({"name": "x", "vocabulary": ["a"]}, "vocabulary"),
    ],
)
def test_bad_model_requests_are_400(stack: Stack, body: dict[str, Any], fragment: str) -> None:
    with stack.client() as c:
        response = c.post("/v2/model", json=body)
    assert response.status_code == 400
    assert fragment in response.json()["error"]


def test_models_are_private_to_their_tenant_and_deletable(stack: Stack, other_key: str) -> None:
    model = create(stack, name="mine", texts=CALL_CENTRE[:2])
    wait_model(stack, model["id"])
    with stack.client(other_key) as theirs:
        assert theirs.get(f"/v2/model/{model['id']}").status_code == 404
        assert theirs.delete(f"/v2/model/{model['id']}").status_code == 404
        assert model["id"] not in {m["id"] for m in theirs.get("/v2/model").json()["models"]}
        refused = theirs.post("/v2/transcript", json={"audio_url": "https://example.com/a.wav", "custom_model_id": model["id"]})
        assert refused.status_code == 404
    with stack.client() as mine:
        assert model["id"] in {m["id"] for m in mine.get("/v2/model", params={"limit": 200}).json()["models"]}
        assert mine.delete(f"/v2/model/{model['id']}").status_code == 200
        assert mine.get(f"/v2/model/{model['id']}").status_code == 404
        assert mine.get(f"/model/{model['id']}").status_code == 404


def test_a_model_that_is_not_ready_cannot_be_used(stack: Stack) -> None:
    model = create(stack, name="no corpus yet")
    with stack.client() as c:
        response = c.post("/v2/transcript", json={"audio_url": "https://example.com/a.wav", "custom_model_id": model["id"]})
    assert response.status_code == 400
    assert "not ready" in response.json()["error"]


NAMES = ("Zentrix", "Omniflow", "Kavanaugh", "Biolabs")
# A customer's historical text (make demo trains on the same file): it uses the names, but
# none of the test audio's sentences.
HISTORY = (AUDIO_FIXTURES / "custom_model_history.txt").read_text().splitlines()


def test_the_sdk_transcribes_with_a_custom_model_selected_by_domain(stack: Stack, sdk: Any, audio_dir: Path) -> None:
    model = wait_model(stack, create(stack, name="router vendor", texts=HISTORY)["id"])
    assert model["status"] == "ready", model["error"]
    audio = str(audio_dir / "custom_model_names.ogg")

    without = sdk.Transcriber().transcribe(audio)
    with_model = sdk.Transcriber().transcribe(audio, sdk.TranscriptionConfig(domain=model["id"]))

    assert without.status == with_model.status == sdk.TranscriptStatus.completed
    assert not any(name in without.text for name in NAMES), without.text
    # tiny.en stops early in the synthetic clip's second sentence, which is then decoded
    # without bias (see apply.recover_tail); the first sentence's names must be right.
    assert "Zentrix Omniflow router" in with_model.text and "Kavanaugh" in with_model.text, with_model.text
    with stack.client() as c:  # the SDK's own model has no field for it
        assert c.get(f"/v2/transcript/{with_model.id}").json()["custom_model_id"] == model["id"]

    # The newest SDK's way: the model's id first in speech_models, a base model after it.
    by_list = sdk.Transcriber().transcribe(audio, sdk.TranscriptionConfig(speech_models=[model["id"], "universal"]))
    assert by_list.status == sdk.TranscriptStatus.completed, by_list.error
    assert "Zentrix Omniflow router" in by_list.text, by_list.text
    with stack.client() as c:
        assert c.get(f"/v2/transcript/{by_list.id}").json()["custom_model_id"] == model["id"]


def test_a_model_that_adapts_the_decoder_trains_and_transcribes(stack: Stack, audio_dir: Path) -> None:
    """`adapt_decoder`: the training job fine-tunes the decoder on the text spoken by espeak-ng
    (a small budget here, see the stack's environment), the model carries the weights, and the
    inference container decodes the model's requests with them."""
    model = wait_model(stack, create(stack, name="adapted", texts=HISTORY, adapt_decoder=True)["id"], timeout=300)
    assert model["status"] == "ready", model["error"]
    assert model["metrics"]["adapted_decoder"] is True and model["metrics"]["adapt_seconds"] > 0
    plain = wait_model(stack, create(stack, name="not adapted", texts=HISTORY, adapt_decoder=False)["id"])
    assert plain["metrics"].get("adapted_decoder") is None
    assert model["sizes"]["artifact_bytes"] > 1_000_000 > plain["sizes"]["artifact_bytes"]

    done = stack.wait(submit(stack, upload(stack, audio_dir / "custom_model_names.ogg"), custom_model_id=model["id"])["id"])
    assert done["status"] == "completed", done["error"]
    assert "Zentrix" in done["text"], done["text"]


def test_speech_models_uses_the_first_available_and_refuses_when_none_is(stack: Stack, audio_dir: Path) -> None:
    missing = "0190a8c4-0000-7000-8000-000000000000"
    url = upload(stack, audio_dir / "speech.ogg")
    with stack.client() as c:
        base_first = c.post("/v2/transcript", json={"audio_url": url, "speech_models": ["universal", missing]})
        fallback = c.post("/v2/transcript", json={"audio_url": url, "speech_models": [missing, "universal"]})
        refused = c.post("/v2/transcript", json={"audio_url": url, "speech_models": [missing]})
    assert base_first.status_code == fallback.status_code == 200, (base_first.text, fallback.text)
    assert base_first.json()["custom_model_id"] is None and fallback.json()["custom_model_id"] is None
    assert refused.status_code == 400 and missing in refused.json()["error"], refused.text


def test_word_boost_and_custom_spelling_work_without_a_model(stack: Stack, audio_dir: Path) -> None:
    url = upload(stack, audio_dir / "custom_model_names.ogg")
    boosted = stack.wait(
        submit(
            stack,
            url,
            word_boost=["Zentrix", "Omniflow", "Kavanaugh Biolabs"],
            boost_param="high",
            custom_spelling=[{"from": ["Omniflow"], "to": "OmniFlow"}],
        )["id"]
    )
    assert boosted["status"] == "completed", boosted["error"]
    assert "Zentrix" in boosted["text"]
    assert "OmniFlow" in boosted["text"] and "Omniflow" not in boosted["text"]
    assert [w["text"] for w in boosted["words"]] == boosted["text"].split()
