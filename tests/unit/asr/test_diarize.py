from pathlib import Path

import numpy as np
import pytest

from sagemaker_jobs.asr import audio
from sagemaker_jobs.asr.diarize import assign_speakers
from sagemaker_jobs.asr.engine import Engine
from sagemaker_jobs.asr.errors import InvalidOptionsError
from sagemaker_jobs.asr.result import Word

PAUSE = np.zeros(audio.SAMPLE_RATE // 2, np.float32)


def _conversation(audio_dir: Path, turns: list[tuple[str, str]]) -> tuple[np.ndarray, list[tuple[float, float, str]]]:
    """The clips joined with 0.5 s pauses, and each turn's (start s, end s, speaker)."""
    pieces: list[np.ndarray] = []
    spans = []
    for speaker, name in turns:
        if pieces:
            pieces.append(PAUSE)
        start = sum(len(p) for p in pieces) / audio.SAMPLE_RATE
        pieces.append(audio.decode((audio_dir / name).read_bytes()))
        spans.append((start, start + len(pieces[-1]) / audio.SAMPLE_RATE, speaker))
    return np.concatenate(pieces), spans


def _true_speakers(words: tuple[Word, ...], spans: list[tuple[float, float, str]]) -> list[str]:
    centres = [(w.start + w.end) / 2000 for w in words]
    return [next(s for start, end, s in spans if start <= c < end + 0.5) for c in centres]


@pytest.mark.slow
@pytest.mark.parametrize("speakers_expected", [2, None])
def test_words_get_the_speaker_of_their_turn(
    engine: Engine, audio_dir: Path, speakers_expected: int | None
) -> None:
    samples, spans = _conversation(
        audio_dir,
        [
            ("A", "ls_1089-134686-0000.flac"),
            ("B", "ls_2412-153948-0000.flac"),
            ("A", "ls_1089-134686-0002.flac"),
        ],
    )
    words = engine.transcribe(samples).words

    labels = assign_speakers(samples, words, speakers_expected)

    expected = _true_speakers(words, spans)
    assert len(labels) == len(words)
    assert set(labels) == {"A", "B"}
    # A word at a turn's edge may fall either way; the turns themselves must not.
    assert sum(label != truth for label, truth in zip(labels, expected)) <= 1


@pytest.mark.slow
def test_one_voice_is_found_to_be_one_speaker(engine: Engine, audio_dir: Path) -> None:
    samples, _ = _conversation(audio_dir, [("A", "ls_1089-134686-0000.flac"), ("A", "ls_1089-134686-0002.flac")])
    words = engine.transcribe(samples).words

    assert set(assign_speakers(samples, words)) == {"A"}


def test_no_words_no_labels() -> None:
    assert assign_speakers(np.zeros(16_000, np.float32), []) == []


def test_one_expected_speaker_labels_every_word_a() -> None:
    words = [Word("a", 0, 300, 1.0), Word("b", 400, 700, 1.0)]

    assert assign_speakers(np.zeros(16_000, np.float32), words, 1) == ["A", "A"]


@pytest.mark.parametrize("speakers_expected", [0, 27])
def test_an_impossible_speaker_count_is_refused(speakers_expected: int) -> None:
    with pytest.raises(InvalidOptionsError, match="speakers_expected"):
        assign_speakers(np.zeros(16_000, np.float32), [Word("a", 0, 300, 1.0)], speakers_expected)


@pytest.mark.slow
def test_a_speaker_range_bounds_the_estimated_count(engine: Engine, audio_dir: Path) -> None:
    # AssemblyAI's speaker_options: two real speakers, diarized within several ranges.
    samples, spans = _conversation(
        audio_dir,
        [("A", "ls_1089-134686-0000.flac"), ("B", "ls_2412-153948-0000.flac"), ("A", "ls_1089-134686-0002.flac")],
    )
    words = engine.transcribe(samples).words

    assert set(assign_speakers(samples, words, speaker_range=(2, 3))) == {"A", "B"}
    assert set(assign_speakers(samples, words, speaker_range=(1, 1))) == {"A"}
    assert len(set(assign_speakers(samples, words, speaker_range=(3, 4)))) >= 3
    with pytest.raises(InvalidOptionsError, match="speaker_options"):
        assign_speakers(samples, words, speaker_range=(3, 2))
