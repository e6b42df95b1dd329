"""The turn logic on real speech (Silero VAD), with decodes faked: when a turn ends and which
decode it uses."""

from pathlib import Path

import numpy as np

from hark_streaming.protocol import TurnSettings
from hark_streaming.turns import EARLY_DECODE_MS, FRAME_MS, TurnTracker
from sagemaker_jobs.asr import audio
from sagemaker_jobs.asr.result import TranscriptionResult, Word

CLIP = Path(__file__).parents[2] / "fixtures" / "audio" / "ls_1089-134686-0000.flac"


def _result(text: str) -> TranscriptionResult:
    return TranscriptionResult(
        text=text, words=(Word(text, 0, 500, 0.9),), confidence=0.9, audio_duration_s=1.0, language_code="en_us",
        model_name="m",
    )


def _stream(tracker: TurnTracker, samples: np.ndarray) -> list[tuple[int, dict]]:
    """(ms of audio fed when it came, message) for every message, in 100 ms frames."""
    out = []
    for i in range(0, len(samples), 1600):
        out += [((i + 1600) * 1000 // 16000, m) for m in tracker.feed(samples[i : i + 1600])]
    return out


def test_a_finished_turn_ends_at_min_turn_silence_with_the_decode_started_early_in_the_pause() -> None:
    speech = audio.decode(CLIP.read_bytes())
    samples = np.concatenate([speech, np.zeros(16000 * 2, dtype=np.float32)])
    calls: list[str] = []

    def blocking(s: np.ndarray) -> TranscriptionResult:
        calls.append("blocking")
        return _result("A finished sentence.")

    def early(s: np.ndarray) -> TranscriptionResult:
        calls.append("early")
        return _result("A finished sentence.")

    settings = TurnSettings(min_turn_silence=400)
    messages = _stream(TurnTracker(settings, blocking, partial=lambda s: None, early=early), samples)

    ends = [(ms, m) for ms, m in messages if m["end_of_turn"]]
    assert len(ends) == 1 and ends[0][1]["transcript"] == "a finished sentence"
    assert "blocking" not in calls  # the end of turn used the early decode: no decode after the pause
    # It came within a frame of the silence reaching min_turn_silence (the VAD's own lag aside).
    speech_end_ms = len(speech) * 1000 // 16000
    assert ends[0][0] - speech_end_ms <= 400 + 2 * 100 + FRAME_MS * 10


def test_speech_after_a_short_pause_discards_the_early_decode() -> None:
    speech = audio.decode(CLIP.read_bytes())[16000 * 6 // 10 : 16000 * 3]  # no pause of 400 ms inside
    pause = np.zeros(16000 * (EARLY_DECODE_MS + 100) // 1000, dtype=np.float32)
    samples = np.concatenate([speech, pause, speech, np.zeros(16000 * 2, dtype=np.float32)])

    def early(s: np.ndarray) -> TranscriptionResult:
        return _result(f"Heard {len(s)}.")

    def blocking(s: np.ndarray) -> TranscriptionResult:
        raise AssertionError("the engine was free: the early decode should have been used")

    messages = _stream(TurnTracker(TurnSettings(), blocking, partial=lambda s: None, early=early), samples)

    ends = [m["transcript"] for _, m in messages if m["end_of_turn"]]
    assert len(ends) == 1, ends  # the short pause did not end the turn
    assert int(ends[0].split()[1]) > 2 * len(speech)  # its decode is of both halves, not the first


def test_with_the_engine_busy_early_the_turn_is_decoded_when_the_pause_is_long_enough() -> None:
    speech = audio.decode(CLIP.read_bytes())
    samples = np.concatenate([speech, np.zeros(16000 * 2, dtype=np.float32)])
    calls: list[int] = []

    def blocking(s: np.ndarray) -> TranscriptionResult:
        calls.append(len(s))
        return _result("Done.")

    messages = _stream(TurnTracker(TurnSettings(), blocking, partial=lambda s: None, early=lambda s: None), samples)

    assert [m["transcript"] for _, m in messages if m["end_of_turn"]] == ["done"] and len(calls) == 1


def _end_after_pause_ms(text: str, threshold: float) -> int:
    """How long after the speech ended its end-of-turn message came, with decodes that read `text`."""
    speech = audio.decode(CLIP.read_bytes())
    samples = np.concatenate([speech, np.zeros(16000 * 2, dtype=np.float32)])
    tracker = TurnTracker(
        TurnSettings(end_of_turn_confidence_threshold=threshold),
        lambda s: _result(text),
        partial=lambda s: None,
        early=lambda s: _result(text),
    )
    ends = [ms for ms, m in _stream(tracker, samples) if m["end_of_turn"]]
    assert len(ends) == 1
    return ends[0] - len(speech) * 1000 // 16000


def test_the_threshold_decides_which_texts_end_a_turn_at_min_turn_silence() -> None:
    max_silence = TurnSettings().max_turn_silence
    assert _end_after_pause_ms("He could wait no longer.", 0.4) < max_silence
    assert _end_after_pause_ms("but he could wait no longer", 0.4) >= max_silence  # the default: sentence ends
    assert _end_after_pause_ms("but he could wait no longer", 0.3) < max_silence
    assert _end_after_pause_ms("but he could wait and", 0.3) >= max_silence
