"""POST /v2/transcribe: a short clip in, its completed transcript out, in one request."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from sagemaker_jobs.asr import audio
from tests.conftest import wav_bytes
from tests.e2e.conftest import Stack

CLIP = "ls_1089-134686-0002.flac"


def test_a_short_clip_is_transcribed_in_the_same_request(stack: Stack, audio_dir: Path) -> None:
    with stack.client() as c:
        response = c.post("/v2/transcribe", params={"punctuate": "false"}, content=(audio_dir / CLIP).read_bytes())
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "completed" and "yellow lamps" in body["text"] and "." not in body["text"]
    with stack.client() as c:  # an ordinary transcript too, listed and kept
        assert c.get(f"/v2/transcript/{body['id']}").json()["text"] == body["text"]


def test_audio_longer_than_30_seconds_is_refused_with_the_way_to_go(stack: Stack, audio_dir: Path) -> None:
    samples = np.concatenate([audio.decode((audio_dir / CLIP).read_bytes())] * 6)  # about 40 s
    with stack.client() as c:
        response = c.post("/v2/transcribe", content=wav_bytes(samples))
    assert response.status_code == 400
    assert "up to 30 s" in response.json()["error"] and "POST /v2/transcript" in response.json()["error"]


def test_an_empty_body_is_a_clear_400(stack: Stack) -> None:
    with stack.client() as c:
        response = c.post("/v2/transcribe", content=b"")
    assert response.status_code == 400 and "empty" in response.json()["error"]
