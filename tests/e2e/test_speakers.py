"""Speaker labels through the official SDK and the API."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from sagemaker_jobs.asr import audio
from tests.conftest import wav_bytes

TURNS = ("ls_1089-134686-0000.flac", "ls_2412-153948-0000.flac", "ls_1089-134686-0002.flac")  # A, B, A


@pytest.fixture(scope="module")
def conversation(audio_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two real speakers (LibriSpeech 1089 and 2412) taking turns, with short pauses."""
    pause = np.zeros(8000, dtype=np.float32)
    parts = []
    for name in TURNS:
        parts += [audio.decode((audio_dir / name).read_bytes()), pause]
    path = tmp_path_factory.mktemp("speakers") / "conversation.wav"
    path.write_bytes(wav_bytes(np.concatenate(parts)))
    return path


@pytest.mark.parametrize("expected", [2, None])
def test_speaker_labels_give_utterances_by_speaker(sdk: Any, conversation: Path, expected: int | None) -> None:
    config = sdk.TranscriptionConfig(speaker_labels=True, speakers_expected=expected)
    transcript = sdk.Transcriber().transcribe(str(conversation), config)
    assert transcript.status == sdk.TranscriptStatus.completed, transcript.error
    speakers = [u.speaker for u in transcript.utterances]
    assert speakers == ["A", "B", "A"], [(u.speaker, u.text[:40]) for u in transcript.utterances]
    assert "stew for dinner" in transcript.utterances[0].text.lower()
    assert "reader" in transcript.utterances[1].text.lower()
    assert all(w.speaker in ("A", "B") for w in transcript.words)
    sentences = transcript.get_sentences()
    assert {s.speaker for s in sentences} == {"A", "B"}


def test_a_range_of_speakers_through_the_sdk(sdk: Any, conversation: Path) -> None:
    # AssemblyAI's speaker_options (min/max speakers expected).
    options = sdk.SpeakerOptions(min_speakers_expected=2, max_speakers_expected=4)
    config = sdk.TranscriptionConfig(speaker_labels=True, speaker_options=options)
    transcript = sdk.Transcriber().transcribe(str(conversation), config)
    assert transcript.status == sdk.TranscriptStatus.completed, transcript.error
    assert [u.speaker for u in transcript.utterances] == ["A", "B", "A"]
    echoed = transcript.json_response["speaker_options"]  # the SDK's model: its other fields are None
    assert (echoed["min_speakers_expected"], echoed["max_speakers_expected"]) == (2, 4)


def test_without_speaker_labels_there_are_no_speakers(sdk: Any, conversation: Path) -> None:
    transcript = sdk.Transcriber().transcribe(str(conversation))
    assert transcript.utterances is None
    assert all(w.speaker is None for w in transcript.words)
