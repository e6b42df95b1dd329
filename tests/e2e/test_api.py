"""The v2 REST API over real HTTP: auth, validation, lifecycle, listing, deletion."""
from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path

import pytest

from tests.e2e.conftest import MAX_UPLOAD_BYTES, Stack, submit, upload


def test_make_key_gives_a_working_key_for_a_new_tenant(stack: Stack) -> None:
    key = stack.new_key("acme")
    with stack.client(key) as c:
        assert c.get("/v2/transcript").status_code == 200


@pytest.mark.parametrize("header", [None, "", "wrong-key", "Bearer wrong-key"])
def test_missing_or_wrong_key_is_401(stack: Stack, header: str | None) -> None:
    with stack.client() as c:
        headers = {"authorization": header} if header is not None else {}
        if header is None:
            c.headers.pop("authorization")
        response = c.get("/v2/transcript", headers=headers)
    assert response.status_code == 401
    assert "Authentication error" in response.json()["error"]


@pytest.mark.parametrize(
    "method, path", [("GET", "/v2/nope"), ("POST", "/v2/transcript/x/y/z"), ("TRACE", "/v2/transcript")]
)
def test_what_no_route_takes_is_404_in_the_api_error_shape(stack: Stack, method: str, path: str) -> None:
    with stack.client() as c:
        response = c.request(method, path)
    assert response.status_code == 404
    assert response.json() == {"error": f"no such route: {method} {path}"}


def test_bearer_form_is_accepted(stack: Stack) -> None:
    with stack.client(f"Bearer {stack.key}") as c:
        assert c.get("/v2/transcript").status_code == 200


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        (b"{not json", "not valid JSON"),
        (b"[1, 2]", "JSON object"),
        (b"{}", "audio_url"),
        (json.dumps({"audio_url": "https://example.com/a.mp3", "speaker_count": 2}).encode(), "speaker_count"),
        (json.dumps({"audio_url": 42}).encode(), "audio_url"),
        (json.dumps({"audio_url": "not a url"}).encode(), "http(s) URL"),
        (json.dumps({"audio_url": "ftp://example.com/a.mp3"}).encode(), "http(s) URL"),
        (json.dumps({"audio_url": "http://127.0.0.1/a.mp3"}).encode(), "private"),
        (json.dumps({"audio_url": "http://localhost:8000/a.mp3"}).encode(), "private"),
        (json.dumps({"audio_url": "http://169.254.169.254/latest/meta-data/"}).encode(), "private"),
        (json.dumps({"audio_url": "http://10.1.2.3/a.wav"}).encode(), "private"),
        (json.dumps({"audio_url": "http://[::1]/a.wav"}).encode(), "private"),
        (json.dumps({"audio_url": "http://[fd00:ec2::254]/a.wav"}).encode(), "private"),
        (json.dumps({"audio_url": "http://0x7f000001/a.wav"}).encode(), "private"),
        (json.dumps({"audio_url": "https://example.com/a.mp3", "language_code": "xx"}).encode(), "not supported"),
        (json.dumps({"audio_url": "https://example.com/a.mp3", "summarization": True}).encode(), "summarization"),
        (json.dumps({"audio_url": "http://127.0.0.1:1/v2/upload/0123456789abcdef0123456789abcdef"}).encode(), "upload_url not found"),
    ],
)
def test_bad_submissions_are_400_with_a_reason(stack: Stack, body: bytes, fragment: str) -> None:
    with stack.client() as c:
        response = c.post("/v2/transcript", content=body, headers={"content-type": "application/json"})
    assert response.status_code == 400, response.text
    assert fragment in response.json()["error"]


def test_zero_byte_upload_is_400(stack: Stack) -> None:
    with stack.client() as c:
        response = c.post("/v2/upload", content=b"")
    assert response.status_code == 400
    assert "empty" in response.json()["error"]


def test_huge_upload_is_413(stack: Stack) -> None:
    with stack.client() as c:
        response = c.post("/v2/upload", content=b"\0" * (MAX_UPLOAD_BYTES + 1))
    assert response.status_code == 413
    assert "larger than" in response.json()["error"]


@pytest.mark.parametrize("path", ["/v2/transcript/does-not-exist", "/v2/transcript/01a2d3a0-0000-7000-8000-000000000000"])
def test_unknown_transcript_is_404(stack: Stack, path: str) -> None:
    with stack.client() as c:
        assert c.get(path).status_code == 404
        assert c.delete(path).status_code == 404


@pytest.mark.parametrize(
    ("fixture", "fragment"),
    [
        ("corrupt.flac", "could not be decoded"),
        ("not_audio.txt", "could not be decoded"),
        ("silence.wav", "contains no audio"),
        ("video_only.mp4", "no audio track"),
    ],
)
def test_undecodable_audio_ends_in_error_with_a_reason(stack: Stack, audio_dir: Path, fixture: str, fragment: str) -> None:
    transcript = submit(stack, upload(stack, audio_dir / fixture))
    assert transcript["status"] == "queued"

    done = stack.wait(transcript["id"])

    assert done["status"] == "error"
    assert fragment in done["error"]
    assert done["text"] is None


@pytest.mark.parametrize("fixture", ["speech.m4a", "speech.ogg", "speech_8k_stereo.wav"])
def test_other_formats_transcribe(stack: Stack, audio_dir: Path, fixture: str) -> None:
    done = stack.wait(submit(stack, upload(stack, audio_dir / fixture))["id"])
    assert done["status"] == "completed", done["error"]
    assert "text" in done["text"].lower()


def test_seed_era_alias_paths_answer_like_v2(stack: Stack, audio_dir: Path) -> None:
    transcript = submit(stack, upload(stack, audio_dir / "speech.mp3"))
    with stack.client() as c:
        assert c.get(f"/transcript/{transcript['id']}").json()["id"] == transcript["id"]


def test_list_pages_newest_first_with_status_filter(stack: Stack, audio_dir: Path) -> None:
    key = stack.new_key("lister")
    url = upload(stack, audio_dir / "speech.mp3", key)
    ids = [submit(stack, url, key)["id"] for _ in range(3)]
    for transcript_id in ids:
        stack.wait(transcript_id, key)
    with stack.client(key) as c:
        page = c.get("/v2/transcript", params={"limit": 2}).json()
        assert [t["id"] for t in page["transcripts"]] == [ids[2], ids[1]]
        assert page["page_details"]["result_count"] == 2
        older = c.get(page["page_details"]["prev_url"]).json()
        assert [t["id"] for t in older["transcripts"]] == [ids[0]]
        newer = c.get("/v2/transcript", params={"after_id": ids[0]}).json()
        assert {t["id"] for t in newer["transcripts"]} == {ids[1], ids[2]}
        assert c.get("/v2/transcript", params={"status": "error"}).json()["transcripts"] == []
        completed = c.get("/v2/transcript", params={"status": "completed"}).json()["transcripts"]
        assert {t["id"] for t in completed} == set(ids)
        assert c.get("/v2/transcript", params={"limit": 0}).status_code == 400
        assert c.get("/v2/transcript", params={"status": "bogus"}).status_code == 400


def test_delete_keeps_the_id_and_status_but_not_the_text(stack: Stack, audio_dir: Path) -> None:
    transcript = submit(stack, upload(stack, audio_dir / "speech.mp3"))
    stack.wait(transcript["id"])
    with stack.client() as c:
        deleted = c.delete(f"/v2/transcript/{transcript['id']}").json()
        again = c.get(f"/v2/transcript/{transcript['id']}").json()
    for body in (deleted, again):
        assert body["status"] == "completed"
        assert body["text"] == "Deleted by user."
        assert body["words"] is None
        assert body["audio_url"] == "http://deleted_by_user"


def _parent(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])


def _workers(stack: Stack) -> list[int]:
    """Inference worker processes started by this stack (children of its orphan guards)."""
    found = []
    for pid in map(int, filter(str.isdigit, os.listdir("/proc"))):
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
            if cmdline[1:3] == [b"-m", b"sagemaker_jobs.inference.serve"] and stack.process.pid in (_parent(pid), _parent(_parent(pid))):
                found.append(pid)
        except (OSError, ValueError):
            continue
    return found


def test_a_worker_killed_mid_job_ends_the_job_in_error(stack: Stack, audio_dir: Path, tmp_path: Path) -> None:
    long_audio = tmp_path / "long.wav"
    # About 90 s of speech: long enough to be killed while it is being transcribed.
    os.system(f"sox {' '.join(str(audio_dir / f) for f in ['ls_1089-134686-0000.flac'] * 9)} {long_audio}")
    transcript = submit(stack, upload(stack, long_audio))
    with stack.client() as c:
        deadline = time.monotonic() + 60
        while c.get(f"/v2/transcript/{transcript['id']}").json()["status"] != "processing":
            assert time.monotonic() < deadline
            time.sleep(0.1)
    time.sleep(1.0)
    workers = _workers(stack)
    assert workers, "no inference worker found"
    for pid in workers:
        os.kill(pid, signal.SIGKILL)

    done = stack.wait(transcript["id"])

    assert done["status"] == "error"
    assert "stopped unexpectedly" in done["error"]
    # The runner replaced the worker: the next job succeeds.
    after = stack.wait(submit(stack, upload(stack, audio_dir / "speech.mp3"))["id"])
    assert after["status"] == "completed"


def test_concurrent_requests_of_two_tenants_never_mix(stack: Stack, other_key: str, audio_dir: Path) -> None:
    from concurrent.futures import ThreadPoolExecutor

    transcript = submit(stack, upload(stack, audio_dir / "speech.mp3"))

    def status_for(key: str) -> tuple[str, int]:
        with stack.client(key) as c:
            return key, c.get(f"/v2/transcript/{transcript['id']}").status_code

    with ThreadPoolExecutor(max_workers=16) as pool:
        answers = list(pool.map(status_for, [stack.key, other_key] * 40))

    assert all(code == (200 if key == stack.key else 404) for key, code in answers)
