"""The official AssemblyAI SDK, changed only in base_url and api_key, against the stack."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

from tests.e2e.conftest import Stack

CLIP = "ls_1089-134686-0000.flac"


def test_sdk_transcribes_a_local_file(
    sdk: Any, audio_dir: Path, references: dict[str, str], word_error_rate: Callable[[list[str], list[str]], float]
) -> None:
    transcript = sdk.Transcriber().transcribe(str(audio_dir / CLIP))

    assert transcript.status == sdk.TranscriptStatus.completed, transcript.error
    assert word_error_rate([references[CLIP]], [transcript.text]) < 0.15
    assert transcript.audio_duration == 10
    assert 0.5 < transcript.confidence <= 1
    words = transcript.words
    assert words and all(0 <= w.start < w.end for w in words)
    assert [w.start for w in words] == sorted(w.start for w in words)
    assert all(0 <= w.confidence <= 1 for w in words)
    assert transcript.json_response["language_code"] == "en_us"


def test_sdk_reports_a_corrupt_file_as_error(sdk: Any, audio_dir: Path) -> None:
    transcript = sdk.Transcriber().transcribe(str(audio_dir / "corrupt.flac"))

    assert transcript.status == sdk.TranscriptStatus.error
    assert "could not be decoded" in transcript.error


def test_other_tenant_gets_404(sdk: Any, stack: Stack, other_key: str, audio_dir: Path) -> None:
    transcript = sdk.Transcriber().transcribe(str(audio_dir / "speech.mp3"))
    assert transcript.status == sdk.TranscriptStatus.completed

    with stack.client(other_key) as theirs:
        assert theirs.get(f"/v2/transcript/{transcript.id}").status_code == 404
        assert theirs.delete(f"/v2/transcript/{transcript.id}").status_code == 404
        listed = theirs.get("/v2/transcript", params={"limit": 200}).json()["transcripts"]
        assert transcript.id not in {t["id"] for t in listed}
    with stack.client() as mine:
        assert mine.get(f"/v2/transcript/{transcript.id}").status_code == 200
