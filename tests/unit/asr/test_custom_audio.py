"""The custom model on real audio through the real engine: invented names go from wrong to right."""

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from sagemaker_jobs.asr import audio
from sagemaker_jobs.asr.custom import RequestOptions, build
from sagemaker_jobs.asr.custom.apply import transcribe
from sagemaker_jobs.asr.custom.second_pass import SecondPass
from sagemaker_jobs.asr.engine import Engine

LIBRISPEECH = ("ls_1089-134686-0000.flac", "ls_1089-134686-0002.flac", "ls_2412-153948-0000.flac")
NAMES = ("Zentrix", "Omniflow", "Kavanaugh", "Biolabs")
# A customer's historical text: a few sentences that use the names, none of them the test audio's.
TRAINING_TEXT = [
    "We shipped the Zentrix Omniflow router to every branch office last spring.",
    "Kavanaugh Biolabs is still our largest customer in the region.",
    "The Omniflow firmware update fixed the login problem for most users.",
    "Call support if the Zentrix unit keeps blinking red after a restart.",
    "Kavanaugh Biolabs ordered twelve more units for their new lab.",
]


@pytest.mark.slow
def test_a_model_from_five_sentences_gets_invented_names_right(engine: Engine, audio_dir: Path) -> None:
    samples = audio.decode((audio_dir / "custom_model_names.ogg").read_bytes())

    without = engine.transcribe(samples)
    artifact, _ = build(TRAINING_TEXT)
    with_model = transcribe(engine, samples, artifact, RequestOptions())

    assert not any(name in without.text for name in NAMES), without.text
    # Both sentences say every name; the first is decoded with the model's bias, and however
    # the decoder fares with the second (tiny.en on synthetic speech), the transcript reaches
    # the end of the audio.
    assert "Zentrix Omniflow router" in with_model.text and "Kavanaugh" in with_model.text, with_model.text
    assert with_model.text.rstrip(".").endswith("contract"), with_model.text
    assert " ".join(w.text for w in with_model.words) == with_model.text


@pytest.mark.slow
def test_a_model_keeps_working_past_the_first_window_of_a_long_recording(
    engine: Engine, audio_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The names again in a later window, where a carried transcript could compete with the
    # model for the prompt.
    samples = _long_recording(audio_dir)
    assert len(samples) / 16000 > 35
    # What each window's second decode is given (a spy: the real method runs).
    planned: list[Any] = []
    plan = SecondPass._plan

    def spy(self: SecondPass, *args: Any, **kwargs: Any) -> Any:
        window = plan(self, *args, **kwargs)
        planned.append(window)
        return window

    monkeypatch.setattr(SecondPass, "_plan", spy)

    without = engine.transcribe(samples)
    artifact, _ = build(TRAINING_TEXT)
    with_model = transcribe(engine, samples, artifact, RequestOptions())

    assert "Zentrix" not in without.text and "Omniflow" not in without.text, without.text
    # A window past the LibriSpeech sentences is decoded again with the model's names before
    # it: as phrases spotted there, or in the customer's sentences chosen as its context. Which
    # (and where the windows are cut) depends on the first pass, and that differs from run to
    # run (faster-whisper falls back to sampling on parts of this synthetic speech: "metric,
    # some if low router" in one run, "Kavanaugh" alone spotted in another, nothing spotted in a
    # third). Whether the second decode is kept is the guards' call on tiny.en's reading, which
    # also differs between CPUs (int8 kernels).
    late = [w.options for w in planned if w.lo > 20_000 and w.options]
    given = [f"{o.initial_prompt} | {o.hotwords}" for o in late]
    assert any(name in text for text in given for name in NAMES), [(w.lo, w.phrases) for w in planned]
    # The unrelated speech in between comes through whole, and the transcript reaches the end.
    for fragment in ("stew for dinner", "squalid quarter of the brothels", "painful to myself"):
        assert fragment in with_model.text, with_model.text
    assert with_model.words[-1].end > len(samples) / 16 - 2000


def _long_recording(audio_dir: Path) -> np.ndarray:
    # 52 s: the names, three LibriSpeech sentences, the names again.
    parts = ["custom_model_names.ogg", *LIBRISPEECH, "custom_model_names.ogg"]
    gap = np.zeros(8000, dtype=np.float32)
    return np.concatenate([x for p in parts for x in (audio.decode((audio_dir / p).read_bytes()), gap)])


@pytest.mark.slow
def test_with_two_decoders_a_recordings_windows_are_decoded_again_while_the_first_pass_goes_on(
    audio_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sagemaker_jobs.asr.engine import EngineSettings
    from sagemaker_jobs.asr.layout import one_decode_per_core

    engine = Engine(EngineSettings.from_env(one_decode_per_core({}, cores=2)))
    assert engine.decoders == 2
    samples = _long_recording(audio_dir)
    events: list[str] = []  # in the order they happened, across threads
    decode_and_settle, finish = SecondPass._decode_and_settle, SecondPass.finish

    def spy_decode(self: SecondPass, window: Any) -> Any:
        events.append(f"window at {window.lo} ms")
        return decode_and_settle(self, window)

    def spy_finish(self: SecondPass, first: Any) -> Any:
        events.append("first pass done")
        return finish(self, first)

    monkeypatch.setattr(SecondPass, "_decode_and_settle", spy_decode)
    monkeypatch.setattr(SecondPass, "finish", spy_finish)

    result = transcribe(engine, samples, build(TRAINING_TEXT)[0], RequestOptions())
    without = engine.transcribe(samples).text

    assert events.index("first pass done") > 0, events  # a window was started before it
    # The windows, decoded side by side, come back in order and whole, and the unrelated speech
    # as the engine alone hears it. (On one CI machine the window of the names and the first
    # LibriSpeech sentence came back with the names right and "Stu for dinner, turnipson
    # kerats": `second_pass._put_back_unrelated` now puts such rewordings back where the audio
    # prefers the first pass's words.)
    starts = [w.start for w in result.words]
    assert starts == sorted(starts)
    for fragment in ("stew for dinner", "squalid quarter of the brothels", "painful to myself"):
        assert fragment not in without or fragment in result.text, (without, result.text)
    assert result.words[-1].end > len(samples) / 16 - 2000
    assert " ".join(w.text for w in result.words) == result.text


def test_hotwords_and_the_carried_transcript_share_half_the_decoder_context(
    engine: Engine, whisper_tokenizer: Any
) -> None:
    model, tokenizer = engine._model, whisper_tokenizer
    hotwords = ", ".join(f"Product{i} Name{i}" for i in range(40))
    previous = tokenizer.encode(" the quarter was strong" * 60)

    prompt = model.get_prompt(tokenizer, previous, hotwords=hotwords)
    unbiased = model.get_prompt(tokenizer, previous)

    half = model.max_length // 2 - 1
    # sot_prev + prompt + the start-of-transcript sequence
    assert len(prompt) - 1 - len(tokenizer.sot_sequence) <= half
    assert prompt[-len(tokenizer.sot_sequence) - 1 : -len(tokenizer.sot_sequence)] == previous[-1:]
    assert len(unbiased) - 1 - len(tokenizer.sot_sequence) == half  # no hotwords: faster-whisper's own


# A customer whose transcribers write "OK" and "e-mail" (the test audio says "Okay ... email").
HOUSE_STYLE_TEXT = [
    "OK, the e-mail went out this morning.",
    "OK. I'll check the X-ray results.",
    "All right, your followup is on Monday.",
    "We sent an e-mail with the followup date, OK?",
    "All right. The X-ray was clear.",
    "Did you get my e-mail? All right.",
]


@pytest.mark.slow
def test_a_model_writes_the_customers_own_forms_of_words(engine: Engine, audio_dir: Path) -> None:
    samples = audio.decode((audio_dir / "house_style.ogg").read_bytes())

    without = engine.transcribe(samples)
    artifact, _ = build(HOUSE_STYLE_TEXT)
    with_model = transcribe(engine, samples, artifact, RequestOptions())

    assert "Okay" in without.text and "email" in without.text, without.text
    assert with_model.text.startswith("OK,") and "e-mail" in with_model.text, with_model.text
    assert "Okay" not in with_model.text and " email" not in with_model.text, with_model.text
    assert " ".join(w.text for w in with_model.words) == with_model.text
