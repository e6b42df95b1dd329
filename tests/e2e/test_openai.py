"""The official `openai` SDK against the local stack: only base_url and api_key are set."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import jiwer
import openai
import pytest
import srt
import webvtt

from tests.e2e.conftest import Stack

CLIP = "ls_1089-134686-0000.flac"


def audio(audio_dir: Path, name: str = CLIP) -> tuple[str, bytes]:
    return name, (audio_dir / name).read_bytes()


@pytest.fixture(scope="module")
def client(stack: Stack) -> Any:
    return openai.OpenAI(base_url=f"{stack.api_url}/v1", api_key=stack.key, max_retries=0, timeout=120)


def test_json_is_the_transcript(client: Any, audio_dir: Path, references: dict[str, str]) -> None:
    result = client.audio.transcriptions.create(file=audio(audio_dir), model="whisper-1")
    assert jiwer.wer(references[CLIP].lower(), result.text.lower().replace(",", "").replace(".", "")) < 0.2


def test_text_srt_and_vtt(client: Any, audio_dir: Path, tmp_path: Path) -> None:
    text = client.audio.transcriptions.create(file=audio(audio_dir), model="whisper-1", response_format="text")
    assert isinstance(text, str) and "stew" in text.lower()
    srt_text = client.audio.transcriptions.create(file=audio(audio_dir), model="whisper-1", response_format="srt")
    subtitles = list(srt.parse(srt_text))
    assert subtitles and "stew" in " ".join(s.content for s in subtitles).lower()
    vtt = client.audio.transcriptions.create(file=audio(audio_dir), model="whisper-1", response_format="vtt")
    (tmp_path / "a.vtt").write_text(vtt)
    captions = webvtt.read(str(tmp_path / "a.vtt"))
    assert captions and captions[0].start.startswith("00:00:")


def test_verbose_json_with_word_and_segment_timestamps(client: Any, audio_dir: Path) -> None:
    result = client.audio.transcriptions.create(
        file=audio(audio_dir), model="whisper-1", response_format="verbose_json", timestamp_granularities=["word", "segment"]
    )
    assert result.language == "english" and 9 < result.duration < 12
    assert result.words and result.segments
    starts = [w.start for w in result.words]
    assert starts == sorted(starts) and all(w.end >= w.start for w in result.words)
    assert result.words[0].word.strip(",.").lower() == "he"
    assert result.segments[0].start <= result.words[0].start


def test_errors_have_openais_shape(client: Any, stack: Stack, audio_dir: Path) -> None:
    with pytest.raises(openai.AuthenticationError):
        openai.OpenAI(base_url=f"{stack.api_url}/v1", api_key="wrong", max_retries=0).audio.transcriptions.create(
            file=audio(audio_dir), model="whisper-1"
        )
    with pytest.raises(openai.BadRequestError, match="could not be decoded"):
        client.audio.transcriptions.create(file=audio(audio_dir, "corrupt.flac"), model="whisper-1")
    with pytest.raises(openai.NotFoundError):
        client.audio.transcriptions.create(file=audio(audio_dir), model="0190a8e2-0000-7000-8000-000000000000")
    with pytest.raises(openai.BadRequestError, match="not supported"):
        client.audio.transcriptions.create(file=audio(audio_dir), model="whisper-1", language="xx")
