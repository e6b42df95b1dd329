"""Stretches a decode left without words (`skipped`): faked voice activity, then real."""

from pathlib import Path

import numpy as np
import pytest
from faster_whisper.transcribe import get_compression_ratio

from sagemaker_jobs.asr import audio, skipped
from sagemaker_jobs.asr.result import Word


def test_stretches_without_words_that_hold_enough_speech_are_found(monkeypatch: pytest.MonkeyPatch) -> None:
    # Voice activity (faked) finds 6 s of speech 4 s into each stretch it is asked about.
    monkeypatch.setattr(skipped, "speech_spans", lambda piece: [(16000 * 4, 16000 * 10)])
    covered = [(0, 1500), (1500, 2000), (16_500, 17_400), (39_000, 39_500)]

    found = skipped.unheard(np.zeros(16000 * 40, np.float32), covered)

    assert found == [
        skipped.Stretch(2000, 16_500, ((6000, 12_000),)),
        skipped.Stretch(17_400, 39_000, ((21_400, 27_400),)),
    ]
    monkeypatch.setattr(skipped, "speech_spans", lambda piece: [(0, 16000 // 2)])  # half a second: not enough
    assert skipped.unheard(np.zeros(16000 * 40, np.float32), covered) == []


def test_only_words_on_speech_are_kept_and_then_only_three_or_more() -> None:
    speech = [(5000, 11_000)]
    said = [Word("The", 5500, 5800, 0.9), Word("rate", 5800, 6200, 0.9), Word("went", 6200, 6500, 0.9),
            Word("up.", 6500, 7000, 0.9)]
    invented = [Word("Thank", 13_500, 13_800, 0.9), Word("you.", 13_800, 14_100, 0.9)]

    assert skipped.on_speech(said + invented, speech) == said
    assert skipped.on_speech(said[:2] + invented, speech) == []


def test_a_stretch_longer_than_a_window_is_decoded_in_equal_pieces() -> None:
    stretch = skipped.Stretch(10_000, 70_000, ((10_000, 70_000),))

    assert stretch.pieces() == [(10_000, 30_000), (30_000, 50_000), (50_000, 70_000)]


def test_a_few_looping_words_in_a_long_decode_count_as_a_loop_and_spoken_repeats_do_not() -> None:
    looping = (
        "We moved house last month and I never got the letter. Before I forget, how long is the"
        " container going to sit out here? The sky-oh-oh-oh-oh-oh-oh-oh-oh-oh-oh-oh-oh! Give a new"
        " date for the sailing. Hello again, it's me from earlier. The carrier gave a new date for"
        " the sailing. The rate from Hamburg went up again and the customer wants to know why."
    )

    assert get_compression_ratio(looping) < skipped.LOOP_COMPRESSION_RATIO  # Whisper's own check passes it
    assert skipped.loops(looping)
    assert skipped.loops("thank you " * 4)
    assert not skipped.loops("No, no, no, no, that is not what I said. Thank you, thank you.")
    assert not skipped.loops("Squawk seven seven seven seven, climb one one thousand.")
    assert not skipped.loops("")


@pytest.mark.slow
def test_speech_no_word_covers_is_found_by_real_voice_activity(audio_dir: Path) -> None:
    # Three LibriSpeech clips 1 s apart (38 s); the second clip's words are taken to be missing,
    # as Whisper's long-form jump leaves them out: Silero VAD finds its speech, and nothing else.
    clips = [audio.decode((audio_dir / name).read_bytes()) for name in (
        "ls_1089-134686-0000.flac", "ls_2412-153948-0000.flac", "ls_1089-134686-0002.flac")]
    pause = np.zeros(audio.SAMPLE_RATE, np.float32)
    samples = np.concatenate([clips[0], pause, clips[1], pause, clips[2], pause])
    ms = [len(clip) * 1000 // audio.SAMPLE_RATE for clip in clips]
    first, third = (0, ms[0]), (ms[0] + ms[1] + 2000, ms[0] + ms[1] + ms[2] + 2000)

    found = skipped.unheard(samples, [first, third])
    everything = skipped.unheard(samples, [first, (first[1] + 1000, third[0] - 1000), third])

    assert len(found) == 1 and (found[0].lo, found[0].hi) == (first[1], third[0])
    speech = sum(b - a for a, b in found[0].speech)
    assert ms[1] - 1500 <= speech <= ms[1] + 1500
    assert everything == []
