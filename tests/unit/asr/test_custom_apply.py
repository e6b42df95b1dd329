from typing import Any

import pytest
from pydantic import ValidationError

from hark_core.options import TranscriptOptions
from sagemaker_jobs.asr.custom import Artifact, RequestOptions, correct, decode_options
from sagemaker_jobs.asr.engine import DecodeOptions, Engine
from sagemaker_jobs.asr.result import TranscriptionResult, Word

MODEL = Artifact(
    phrases=("Zentrix Omniflow", "Kavanaugh Biolabs", "Zentrix", "Omniflow"),
    prompt="Zentrix Omniflow, Kavanaugh Biolabs",
    lexicon=("Zentrix Omniflow", "Kavanaugh Biolabs", "Zentrix", "Omniflow"),
)


def result(*words: tuple[str, float], text: str | None = None) -> TranscriptionResult:
    items = tuple(Word(w, 500 * i, 500 * i + 400, c) for i, (w, c) in enumerate(words))
    return TranscriptionResult(
        text=text if text is not None else " ".join(w.text for w in items),
        words=items,
        confidence=sum(c for _, c in words) / len(words),
        audio_duration_s=10.0,
        language_code="en_us",
        model_name="m",
    )


def test_no_model_and_no_hints_change_nothing() -> None:
    original = result(("Hello", 0.9), ("world.", 0.9))

    assert decode_options(None) == DecodeOptions()
    assert correct(original, None) is original


def test_model_and_request_phrases_become_hotwords_request_first() -> None:
    request = _request(
        {"word_boost": ["Acme"], "keyterms_prompt": ["Hark AI"], "boost_param": "low"}
    )

    options = decode_options(MODEL, request)

    assert options.initial_prompt is None
    assert options.hotwords == "Hark AI, Acme, Zentrix Omniflow, Kavanaugh Biolabs, Zentrix, Omniflow"


def test_hotwords_are_capped_to_stay_within_the_decoder_context(engine: Engine, whisper_tokenizer: Any) -> None:
    half_context = engine._model.max_length // 2 - 1
    many = Artifact(phrases=tuple(f"Term{i:03d} Name{i:03d}" for i in range(200)), prompt="")

    for boost in ("low", "default", "high"):
        hotwords = decode_options(many, RequestOptions(boost_param=boost)).hotwords
        # faster-whisper cuts hotwords at half the 448-token context; ours stay well inside,
        # leaving the rest of that half to the carried transcript.
        assert hotwords and len(whisper_tokenizer.encode(" " + hotwords)) < half_context * 0.75


@pytest.mark.parametrize(
    "options",
    [
        {"boost_param": "max"},
        {"word_boost": "Zentrix"},
        {"word_boost": [1]},
        {"keyterms_prompt": ["x" * 200]},
        {"custom_spelling": [{"from": "a", "to": "b"}]},
        {"custom_spelling": [{"from": ["a"]}]},
        {"custom_spelling": {"from": ["a"], "to": "b"}},
        {"temperature": 1.5},
        {"temperature": "warm"},
    ],
)
def test_malformed_request_options_are_refused_by_the_contract(options: dict) -> None:
    with pytest.raises(ValidationError):
        TranscriptOptions.model_validate(options)


def test_temperature_is_where_the_fallback_ladder_starts() -> None:
    assert _request({"temperature": 0.4}).temperatures == (0.4, 0.6, 0.8, 1.0)
    assert _request({"temperature": 1}).temperatures == (1.0,)
    assert _request({}).temperatures is None  # faster-whisper's own ladder


def test_custom_spelling_replaces_in_words_and_text_keeping_punctuation() -> None:
    request = _request(
        {"custom_spelling": [{"from": ["hark ai", "harkai"], "to": "Hark AI"}, {"from": ["Q one"], "to": "Q1"}]}
    )
    original = result(("Thanks,", 0.9), ("hark", 0.9), ("AI.", 0.9), ("See", 0.9), ("Q", 0.9), ("one.", 0.9),
                      text="Thanks, hark AI. See Q one.")

    fixed = correct(original, None, request)

    assert fixed.text == "Thanks, Hark AI. See Q1."
    assert [w.text for w in fixed.words] == ["Thanks,", "Hark", "AI.", "See", "Q1."]
    assert fixed.words[4].start == original.words[4].start and fixed.words[4].end == original.words[5].end


def test_uncertain_near_misses_are_respelled_as_the_model_spells_them() -> None:
    original = result(("Call", 0.95), ("Kavanaugh", 0.7), ("myo-labs", 0.3), ("about", 0.9), ("the", 0.9),
                      ("Zentricks", 0.2), ("router.", 0.9))

    fixed = correct(original, MODEL)

    assert fixed.text == "Call Kavanaugh Biolabs about the Zentrix router."
    assert [w.text for w in fixed.words] == ["Call", "Kavanaugh", "Biolabs", "about", "the", "Zentrix", "router."]


def test_confident_words_are_never_overwritten() -> None:
    original = result(("Central", 0.95), ("routers", 0.9), ("work.", 0.9))

    assert correct(original, MODEL).text == "Central routers work."
    # Even an uncertain common word must sound nearly the same to be respelled.
    assert correct(result(("Kevin", 0.2), ("called.", 0.9)), MODEL).text == "Kevin called."


def test_inflections_of_model_words_are_left_as_said() -> None:
    model = Artifact(phrases=("reaccelerated",), prompt="", lexicon=("reaccelerated",))

    said = result(("to", 0.9), ("reaccelerate", 0.3), ("growth.", 0.9))

    assert correct(said, model).text == "to reaccelerate growth."


def test_trailing_hallucinations_are_dropped_when_decoding_was_biased() -> None:
    words = (
        Word("Revenue", 0, 400, 0.95),
        Word("grew.", 400, 900, 0.97),
        Word("Thank", 900, 1150, 0.01),
        Word("you.", 1150, 1150, 0.97),
    )
    original = TranscriptionResult("Revenue grew. Thank you.", words, 0.7, 1.2, "en_us", "m")

    fixed = correct(original, MODEL)

    assert fixed.text == "Revenue grew."
    assert [w.text for w in fixed.words] == ["Revenue", "grew."]
    # Without a model (no biased decoding) the engine's output is left alone.
    assert correct(original, None) is original


def test_a_long_invented_closing_sentence_of_words_with_no_duration_is_dropped_too() -> None:
    # A prompted window of a long recording ended (lab, 2026-12-07) in "Thank you so much for
    # watching, I'll see you next time." with every word timed at the window's last instant.
    said = (Word("Revenue", 0, 400, 0.95), Word("grew.", 400, 900, 0.97))
    outro = "Thank you so much for watching, I'll see you next time.".split()
    words = said + tuple(Word(t, 900, 900, 0.6) for t in outro)
    original = TranscriptionResult(" ".join(w.text for w in words), words, 0.7, 1.2, "en_us", "m")

    assert correct(original, MODEL).text == "Revenue grew."


class FakeEngine:
    """Records decodes; returns canned results in order."""

    decoders = 1  # canned results are handed out in order: one decode at a time

    def __init__(self, *results: TranscriptionResult) -> None:
        self.results = list(results)
        self.calls: list[tuple[int, DecodeOptions, float]] = []

    def transcribe(self, samples, options=DecodeOptions(), *, skip_tail_s=0.0, on_words=None):  # noqa: ANN001
        self.calls.append((len(samples), options, skip_tail_s))
        return self.results.pop(0)


def test_transcribe_without_model_or_hints_is_one_plain_decode() -> None:
    import numpy as np

    from sagemaker_jobs.asr.custom import transcribe

    plain = result(("Hello", 0.9), ("world.", 0.9))
    engine = FakeEngine(plain)

    assert transcribe(engine, np.zeros(16000 * 10, dtype=np.float32), None) is plain
    assert engine.calls == [(160000, DecodeOptions(), 0.0)]


def test_a_biased_decode_that_stops_early_gets_the_rest_decoded_unbiased() -> None:
    import numpy as np

    from sagemaker_jobs.asr.custom import transcribe

    # 10 s of audio; the biased decode stops after 1.4 s, the unbiased one covers the rest.
    early = result(("Call", 0.9), ("Kavanaugh", 0.9), ("Biolabs.", 0.9))
    rest = result(("They", 0.9), ("renewed.", 0.9))
    engine = FakeEngine(early, rest)

    merged = transcribe(engine, np.zeros(16000 * 10, dtype=np.float32), MODEL, two_pass=False)

    assert merged.text == "Call Kavanaugh Biolabs. They renewed."
    assert [w.start for w in merged.words] == [0, 500, 1000, 1400, 1900]
    assert engine.calls[0][1].hotwords and engine.calls[0][2] == 2.0
    assert engine.calls[1] == (160000 - 1400 * 16, DecodeOptions(), 0.0)


def test_engine_stops_decoding_at_a_short_tail() -> None:
    from types import SimpleNamespace

    from sagemaker_jobs.asr.engine import _until_tail

    decoded = []

    def segments():
        for end in (4.0, 9.2, 9.8):
            decoded.append(end)
            yield SimpleNamespace(end=end)

    assert [s.end for s in _until_tail(segments(), 10.0 - 2.0)] == [4.0, 9.2]
    assert decoded == [4.0, 9.2]  # the third window was never decoded


def _request(options: dict) -> RequestOptions:
    return RequestOptions.of(TranscriptOptions.model_validate(options))
