"""Batched decoding with the real engine: several recordings in one CTranslate2 batch."""

from pathlib import Path
from types import SimpleNamespace
from typing import Any, Callable

import numpy as np
import pytest
from faster_whisper.tokenizer import Tokenizer

from sagemaker_jobs.asr import audio
from sagemaker_jobs.asr.batch import _same_start, split_into_lanes
from sagemaker_jobs.asr.engine import DecodeOptions, Engine

CLIPS = ["ls_1089-134686-0000.flac", "ls_1089-134686-0002.flac", "ls_2412-153948-0000.flac"]


def _load(audio_dir: Path, name: str) -> np.ndarray:
    return audio.decode((audio_dir / name).read_bytes())


@pytest.mark.slow
def test_a_batch_transcribes_each_recording_as_well_as_one_by_one(
    engine: Engine,
    audio_dir: Path,
    references: dict[str, str],
    word_error_rate: Callable[[list[str], list[str]], float],
) -> None:
    clips = [_load(audio_dir, name) for name in CLIPS]

    batched = engine.transcribe_many([(samples, DecodeOptions()) for samples in clips])
    alone = [engine.transcribe(samples) for samples in clips]

    refs = [references[name] for name in CLIPS]
    assert word_error_rate(refs, [r.text for r in batched]) <= word_error_rate(refs, [r.text for r in alone]) + 0.02
    for result, samples in zip(batched, clips):
        assert result.audio_duration_s == pytest.approx(len(samples) / 16000, abs=0.01)
        assert result.words and all(0 <= w.start <= w.end <= len(samples) / 16 + 1 for w in result.words)
        assert [w.start for w in result.words] == sorted(w.start for w in result.words)
        assert 0 < result.confidence <= 1


@pytest.mark.slow
def test_items_keep_their_own_prompts_in_one_batch(engine: Engine, audio_dir: Path) -> None:
    # Prompts of different lengths: CTranslate2 needs them aligned, and an unprompted item
    # must stay unprompted.
    clip = _load(audio_dir, CLIPS[1])
    items = [
        (clip, DecodeOptions()),
        (clip, DecodeOptions(initial_prompt="A story about a man in a parlor, read aloud.")),
        (clip, DecodeOptions(hotwords="parlor")),
    ]

    results = engine.transcribe_many(items)

    assert results[0].text == engine.transcribe(clip).text
    assert all(r.words for r in results)


@pytest.mark.slow
def test_a_trimmed_encoder_input_transcribes_turns_as_well_and_keeps_their_word_times(
    engine: Engine,
    audio_dir: Path,
    references: dict[str, str],
    word_error_rate: Callable[[list[str], list[str]], float],
) -> None:
    # What live streams decode with: the batch's longest turn plus a second (at least 10 s),
    # not 30 s; partials greedily and without the fallback.
    clips = [_load(audio_dir, name) for name in CLIPS]
    refs = [references[name] for name in CLIPS]

    full = engine.transcribe_many([(samples, DecodeOptions()) for samples in clips])
    trimmed = engine.transcribe_many([(samples, DecodeOptions()) for samples in clips], trim_encoder=True)
    partials = engine.transcribe_many(
        [(samples[: len(samples) // 2], DecodeOptions(beam_size=1)) for samples in clips], trim_encoder=True, fallback=False
    )

    assert word_error_rate(refs, [r.text for r in trimmed]) <= word_error_rate(refs, [r.text for r in full]) + 0.02
    for result, samples in zip(trimmed, clips):
        assert result.words and all(0 <= w.start <= w.end <= len(samples) / 16 + 1 for w in result.words)
    for partial, result in zip(partials, trimmed):
        # Half the audio: about the first half of the words, no repetition loop.
        assert 0 < len(partial.words) <= len(result.words), partial.text
        assert partial.words[0].text.lower().strip(",.") == result.words[0].text.lower().strip(",.")


def test_text_the_decoder_writes_past_the_speech_is_left_out(
    engine: Engine, audio_dir: Path, references: dict[str, str]
) -> None:
    # A live turn as the streaming service cut it from a stream with digital silence between
    # utterances (0.52 s of it before the clip, the clip's last 0.2 s of room tone cut off):
    # decoded with the trimmed encoder input, the sentence came twice, the second time as a
    # segment whose words all aligned to 6.80-6.80 s. faster-whisper's own loop drops such
    # segments; the batched path does too.
    name = "ls_1089-134686-0002.flac"
    clip = _load(audio_dir, name)
    turn = np.concatenate([np.zeros(8288, dtype=np.float32), clip[:102816]])

    result = engine.transcribe_many([(turn, DecodeOptions())], trim_encoder=True)[0]

    assert len(result.words) <= len(references[name].split()) + 2, result.text
    assert all(w.end > w.start for w in result.words)


@pytest.mark.slow
def test_a_recording_longer_than_a_window_is_decoded_to_its_end(engine: Engine, audio_dir: Path) -> None:
    clips = [_load(audio_dir, name) for name in CLIPS]
    gap = np.zeros(8000, dtype=np.float32)
    long = np.concatenate([clips[0], gap, clips[1], gap, clips[2], gap, clips[0]])
    assert len(long) / 16000 > 30

    result = engine.transcribe_many([(long, DecodeOptions())])[0]

    assert result.words[-1].end > (len(long) / 16 - len(clips[0]) / 16)  # words from the last clip
    assert [w.start for w in result.words] == sorted(w.start for w in result.words)


@pytest.mark.slow
def test_lanes_cover_a_long_recording_in_order(
    engine: Engine,
    audio_dir: Path,
    references: dict[str, str],
    word_error_rate: Callable[[list[str], list[str]], float],
) -> None:
    clips = [_load(audio_dir, name) for name in CLIPS]
    gap = np.zeros(8000, dtype=np.float32)
    long = np.concatenate([part for _ in range(4) for clip in clips for part in (clip, gap)])
    assert len(long) / 16000 > 120

    lanes = engine.transcribe_lanes(long, lanes=2)
    alone = engine.transcribe(long)

    assert [w.start for w in lanes.words] == sorted(w.start for w in lanes.words)
    reference = " ".join(references[name] for _ in range(4) for name in CLIPS)
    assert word_error_rate([reference], [lanes.text]) <= word_error_rate([reference], [alone.text]) + 0.03
    assert lanes.words[-1].end > len(long) / 16 - 5000


def test_lanes_are_cut_in_pauses() -> None:
    # Two seconds of silence near the middle of noise-like "speech": the cut falls inside it.
    rng = np.random.default_rng(0)
    speech = (rng.standard_normal(16000 * 20) * 0.1).astype(np.float32)
    silence = np.zeros(16000 * 2, dtype=np.float32)
    samples = np.concatenate([speech, silence, speech[: 16000 * 18]])

    bounds = split_into_lanes(samples, 2)

    assert bounds[0][0] == 0 and bounds[-1][1] == len(samples)
    assert bounds[0][1] == bounds[1][0]
    assert 20 * 16000 <= bounds[0][1] <= 22 * 16000


def test_prompts_start_at_one_position_in_a_batch() -> None:
    class Tokens:
        sot = 9

    prompts = [[1, 5, 6, 7, 9, 3], [1, 8, 9, 3], [9, 3]]
    assert _same_start(prompts, Tokens()) == [[9, 3], [9, 3], [9, 3]]  # type: ignore[arg-type]
    prompts = [[1, 5, 6, 7, 9, 3], [1, 8, 9, 3]]
    assert _same_start(prompts, Tokens()) == [[1, 7, 9, 3], [1, 8, 9, 3]]  # type: ignore[arg-type]


def test_a_prompt_cut_to_its_batch_keeps_its_hotwords_and_loses_its_oldest_text_first() -> None:
    class Tokens:
        sot = 9

    # <|startofprev|> 1, hotwords 5 6, carried text 7 8, then <|startoftranscript|> 9.
    prompts = [[1, 5, 6, 7, 8, 9, 3], [1, 4, 2, 9, 3]]
    assert _same_start(prompts, Tokens(), [3, 1]) == [[1, 5, 6, 9, 3], [1, 4, 2, 9, 3]]  # type: ignore[arg-type]
    prompts = [[1, 5, 6, 7, 9, 3], [1, 4, 9, 3]]  # more to cut than its text: its last hotword goes next
    assert _same_start(prompts, Tokens(), [3, 1]) == [[1, 5, 9, 3], [1, 4, 9, 3]]  # type: ignore[arg-type]


def _rewrite_decodes(
    engine: Engine, monkeypatch: pytest.MonkeyPatch, rewrite: Callable[[list[int], int, int], list[int] | None]
) -> list[int]:
    """Puts a stand-in in front of the engine's CTranslate2 model: each decode's best token ids go
    through `rewrite(ids, first timestamp token, call number from 1)`, which returns the ids the
    decode is to come out with (None: as they are). Returns each call's batch size, as they come."""
    inner = engine._model.model._model
    timestamps_from = Tokenizer(engine._model.hf_tokenizer, False, task="transcribe", language="en").timestamp_begin
    calls: list[int] = []

    class Rewriting:
        def __getattr__(self, name: str) -> Any:
            return getattr(inner, name)

        def generate(self, *args: Any, **kwargs: Any) -> Any:
            results = inner.generate(*args, **kwargs)
            calls.append(len(results))
            ids = rewrite(list(results[0].sequences_ids[0]), timestamps_from, len(calls))
            if ids is None:
                return results
            return [SimpleNamespace(sequences_ids=[ids], scores=results[0].scores, no_speech_prob=0.0)]

    monkeypatch.setattr(engine._model.model, "_model", Rewriting())
    return calls


@pytest.mark.slow
def test_a_decode_that_stops_without_a_timestamp_resumes_from_its_last_word(
    engine: Engine, audio_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A prompted Whisper sometimes ends a window after a sentence with no timestamp at all; the
    batch then goes on from that sentence's last word, as faster-whisper's own loop does."""
    samples = np.concatenate([_load(audio_dir, CLIPS[1]), np.zeros(8000, np.float32), _load(audio_dir, CLIPS[2])])

    def first_stops_early(ids: list[int], timestamps_from: int, call: int) -> list[int] | None:
        if call > 1:
            return None
        first_end = next(i for i in range(1, len(ids)) if ids[i] >= timestamps_from > ids[i - 1])
        # The first sentence's text only: no timestamps, as such a decode comes out.
        return [t for t in ids[:first_end] if t < timestamps_from]

    whole = engine.transcribe_many([(samples, DecodeOptions())])[0]
    calls = _rewrite_decodes(engine, monkeypatch, first_stops_early)
    resumed = engine.transcribe_many([(samples, DecodeOptions())])[0]

    assert len(calls) >= 2
    assert resumed.text.split()[-4:] == whole.text.split()[-4:]
    assert resumed.words[-1].end == pytest.approx(whole.words[-1].end, abs=500)


@pytest.mark.slow
def test_a_live_turn_is_not_resumed_in_the_silence_that_ended_it(
    engine: Engine, audio_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A stream's turn ends in the silence that ended it; a decode of it that closes without a
    timestamp is kept as it is, where a recording's window would go on from its last word (that
    silence decoded on its own gave invented words and a fallback at every temperature)."""
    turn = np.concatenate([np.zeros(16000, np.float32), _load(audio_dir, CLIPS[1]), np.zeros(14400, np.float32)])
    calls = _rewrite_decodes(engine, monkeypatch, lambda ids, timestamps_from, call: [t for t in ids if t < timestamps_from])
    live = engine.transcribe_many([(turn, DecodeOptions())], trim_encoder=True)[0]
    as_recording = engine.transcribe_many([(turn, DecodeOptions())])[0]

    assert calls[0] == 1 and len(calls) > 2  # the turn: one decode; the recording: resumed
    assert live.text.split()[:4] == as_recording.text.split()[:4]


@pytest.mark.slow
def test_a_batch_can_leave_each_window_encoded_for_scoring_it_later(
    engine: Engine, audio_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    clips = [_load(audio_dir, name) for name in CLIPS[:2]]
    inner = engine._model.model._model
    encoded: list[int] = []

    class CountingEncoder:
        def __getattr__(self, name: str) -> Any:
            return getattr(inner, name)

        def encode(self, features: Any, *args: Any, **kwargs: Any) -> Any:
            encoded.append(features.shape[0])
            return inner.encode(features, *args, **kwargs)

    monkeypatch.setattr(engine._model.model, "_model", CountingEncoder())
    engine._model._encoded.clear()
    results = engine.transcribe_many([(samples, DecodeOptions()) for samples in clips], keep_encodings=True)
    assert encoded == [2]

    scores = [engine.log_likelihoods(samples, [result.text])[0] for samples, result in zip(clips, results)]

    assert encoded == [2]  # each clip scored on the batch's own encoding
    assert all(score < 0 for score in scores)
