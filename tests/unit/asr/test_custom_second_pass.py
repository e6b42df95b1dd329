"""The second pass, the context index and phrase spotting, with a fake engine (no audio)."""

import numpy as np
from faster_whisper.transcribe import get_compression_ratio

from sagemaker_jobs.asr.custom import Artifact, RequestOptions, build
from sagemaker_jobs.asr.custom import second_pass as second_pass_module
from sagemaker_jobs.asr.custom.apply import transcribe
from sagemaker_jobs.asr.custom.context import ContextIndex
from sagemaker_jobs.asr.custom.second_pass import WINDOW_S, Guide, plan_windows, second_pass
from sagemaker_jobs.asr.custom.spotting import PhraseSpotter
from sagemaker_jobs.asr.engine import DecodeOptions
from sagemaker_jobs.asr.result import TranscriptionResult, Word


def words(*items: tuple[str, int, int, float]) -> tuple[Word, ...]:
    return tuple(Word(t, s, e, c) for t, s, e, c in items)


def result(ws: tuple[Word, ...]) -> TranscriptionResult:
    return TranscriptionResult(
        text=" ".join(w.text for w in ws),
        words=ws,
        confidence=0.9,
        audio_duration_s=10.0,
        language_code="en_us",
        model_name="m",
    )


class FakeEngine:
    decoders = 1  # canned results are handed out in order: one decode at a time

    def __init__(self, *results: TranscriptionResult) -> None:
        self.results = list(results)
        self.calls: list[tuple[int, DecodeOptions]] = []

    def transcribe(
        self, samples: np.ndarray, options: DecodeOptions = DecodeOptions(), *, skip_tail_s: float = 0.0, on_words=None
    ):  # noqa: ANN001
        self.calls.append((len(samples), options))
        return self.results.pop(0)

    def log_likelihoods(self, samples: np.ndarray, texts: list[str], prompt: str | None = None) -> list[float]:
        return [self.likelihoods.get(t, -10.0) for t in texts]

    likelihoods: dict[str, float] = {}


def test_context_index_returns_the_most_similar_sentences_most_relevant_last() -> None:
    index = ContextIndex(
        [
            "Kafka runs behind Cilium now.",
            "The weather was nice.",
            "We moved Kafka to the new cluster.",
            "Lunch is at noon.",
        ]
    )

    prompt = index.prompt("we moved kefka behind celiam", max_words=12)

    assert prompt.endswith("We moved Kafka to the new cluster.")
    assert "weather" not in prompt and "Lunch" not in prompt
    assert not ContextIndex([])


def test_spotting_finds_a_misheard_name_among_a_thousand_phrases_and_skips_confident_common_words() -> None:
    distractors = [f"Zorvex{i}" for i in range(998)]
    spotter = PhraseSpotter(["Cilium", "Thanos", *distractors])
    heard = words(("Thanks", 0, 300, 0.95), ("for", 300, 500, 0.95), ("Celiam", 500, 900, 0.3))

    spotted = spotter.spot(heard)

    assert spotted[0] == "Cilium"
    assert "Thanos" not in spotted  # "Thanks" was heard confidently: not a candidate span


def test_windows_are_cut_at_the_longest_pause_and_cover_every_word() -> None:
    ws = [Word(f"w{i}", i * 1000, i * 1000 + 600, 0.9) for i in range(60)]
    ws[40] = Word("w40", 40_000 + 2000, 40_000 + 2500, 0.9)  # a long pause before it

    windows = plan_windows(ws, 28.0)

    assert windows[0][0] == 0 and windows[-1][1] == 59
    assert all(b + 1 == c for (_, b), (c, _) in zip(windows, windows[1:]))
    assert all(ws[b].end - ws[a].start <= 28_000 for a, b in windows)


def test_windows_planned_while_the_first_pass_goes_on_are_those_of_the_whole_plan() -> None:
    ws = [Word(f"w{i}", i * 900, i * 900 + 600, 0.9) for i in range(120)]
    ws[40] = Word("w40", 36_000 + 1500, 36_000 + 2000, 0.9)
    whole = plan_windows(ws, 28.0)

    for heard in range(1, len(ws)):
        early = plan_windows(ws[:heard], 28.0, complete=False)
        # Only windows a later word cannot change, each as the whole plan has it.
        assert early == whole[: len(early)]
        assert not early or early[-1][1] < heard - 1
    assert plan_windows(ws, 28.0, complete=False) == whole[:-1]


def test_second_pass_redecodes_with_context_and_spotted_phrases_and_keeps_words_after_an_early_stop() -> None:
    artifact, _ = build(["We shipped the Zentrix Omniflow router last spring.", "Kavanaugh Biolabs renewed."])
    tail = ("and", "then", "they", "renewed", "it.")
    first = result(
        words(("the", 0, 400, 0.9), ("metric", 500, 900, 0.3), ("sum", 1000, 1400, 0.3), ("router", 1500, 1900, 0.9))
        + words(*((t, 2000 + 500 * i, 2400 + 500 * i, 0.9) for i, t in enumerate(tail)))
    )
    # The second decode of the (only) window stops after "router" (its last word's timestamp
    # running on); the first pass's words after it stay.
    again = result(
        words(
            ("the", 0, 400, 0.9), ("Zentrix", 500, 900, 0.9), ("Omniflow", 1000, 1400, 0.9), ("router", 1500, 4000, 0.9)
        )
    )
    engine = FakeEngine(first, again)

    out = transcribe(engine, np.zeros(16000 * 5, dtype=np.float32), artifact)

    assert out.text == "the Zentrix Omniflow router and then they renewed it."
    assert [w.start for w in out.words] == [0, 500, 1000, 1500, 2000, 2500, 3000, 3500, 4000]
    assert out.words[3].end == 2000
    options = engine.calls[1][1]
    assert "Zentrix Omniflow" in options.initial_prompt
    assert engine.calls[0][1] == DecodeOptions()


def test_a_phrase_list_of_a_thousand_fills_the_budget_with_spotted_phrases_first() -> None:
    phrases = [f"Brandname{i}" for i in range(999)] + ["Cilium"]
    guide = Guide.of(Artifact(phrases=tuple(phrases), prompt=""), RequestOptions())

    hot = guide.hotwords(words(("Celiam", 0, 400, 0.2)))

    assert hot[0] == "Cilium"
    assert sum(len(p) + 2 for p in hot) <= 600


def test_a_list_that_fits_the_budget_goes_whole_in_its_own_order() -> None:
    phrases = ("Zentrix Omniflow", "Kyverno", "Cilium", "Argo CD")
    guide = Guide.of(Artifact(phrases=phrases, prompt=""), RequestOptions())

    hot = guide.hotwords(words(("Celiam", 0, 400, 0.2)))

    assert hot[0] == "Cilium" and hot[1:] == ["Zentrix Omniflow", "Kyverno", "Argo CD"]


def _router_then_more() -> tuple[TranscriptionResult, TranscriptionResult]:
    """A first pass that goes on after "router", and a second decode that ends there with a
    finished sentence."""
    heard = ("we", "shipped", "the", "router", "and", "that", "is", "why", "we", "talk", "about", "it")
    first = result(words(*((t, 500 * i, 500 * i + 400, 0.9 if i > 1 else 0.4) for i, t in enumerate(heard))))
    again = result(
        words(("we", 0, 400, 0.9), ("shipped", 500, 900, 0.9), ("the", 1000, 1400, 0.9), ("router.", 1500, 1900, 0.9))
    )
    return first, again


def test_an_invented_tail_that_the_second_decode_leaves_out_stays_out() -> None:
    artifact, _ = build(["We shipped the Zentrix Omniflow router last spring."])
    first, again = _router_then_more()
    engine = FakeEngine(first, again)

    out = transcribe(engine, np.zeros(16000 * 6, dtype=np.float32), artifact)

    assert out.text == "we shipped the router."


def test_no_model_and_no_phrases_is_one_plain_decode() -> None:
    plain = result(words(("Hello", 0, 400, 0.9)))
    engine = FakeEngine(plain)

    assert transcribe(engine, np.zeros(16000, dtype=np.float32), None) is plain
    assert len(engine.calls) == 1


def test_a_context_decode_far_less_likely_than_the_first_pass_gives_way_to_it() -> None:
    # Two doubtful words (so the window is decoded again), the first pass sure of them on average.
    heard = words(("Our", 0, 300, 0.45), ("results", 300, 800, 0.45), ("improved.", 800, 1300, 0.95))
    artifact, _ = build(["Our strong results were good for Zentrix.", "Strong results improved on Zentrix sales."])
    # The first pass scores -10 (the fake's default); within 3 nats the context decode stands.
    cases = [
        ("Our strong results", -12.0, "Our strong results"),
        ("Our strong results", -18.0, "Our results improved."),
        # A rewrite that brings in the customer's own rare word stands however it scores.
        ("Our Zentrix results", -18.0, "Our Zentrix results"),
    ]
    for rewrite, score, expected in cases:
        engine = FakeEngine(result(words(*((t, 400 * i, 400 * i + 300, 0.9) for i, t in enumerate(rewrite.split())))))
        engine.likelihoods = {rewrite: score}
        out = second_pass(engine, np.zeros(16000 * 2, np.float32), result(heard), Guide.of(artifact, RequestOptions()))
        assert out.text == expected, (rewrite, score, out.text)


def test_a_first_pass_unsure_of_most_of_its_words_does_not_hold_back_a_context_decode() -> None:
    # Noisy radio: the first pass doubted most of what it wrote, so that it is the likelier
    # reading for the model without the customer's sentences says little; the context decode stands.
    artifact, _ = build(["Our strong results were good for Zentrix.", "Strong results improved on Zentrix sales."])
    rewrite = "Our strong results"
    # Both first passes have two doubtful words, so both windows are decoded again.
    for confidences, expected in (((0.3, 0.3, 0.6), rewrite), ((0.45, 0.45, 0.95), "Our results improved.")):
        said = zip(["Our", "results", "improved."], confidences)
        heard = words(*((t, 400 * i, 400 * i + 300, c) for i, (t, c) in enumerate(said)))
        engine = FakeEngine(result(words(*((t, 400 * i, 400 * i + 300, 0.9) for i, t in enumerate(rewrite.split())))))
        engine.likelihoods = {rewrite: -18.0}  # 8 nats less likely than the first pass (-10)
        out = second_pass(engine, np.zeros(16000 * 2, np.float32), result(heard), Guide.of(artifact, RequestOptions()))
        assert engine.calls, confidences
        assert out.text == expected, (confidences, out.text)


def test_a_phrase_list_decode_is_held_to_an_unsure_first_pass_all_the_same() -> None:
    # Without sentences there is no context reading to trust: the hotwords pull a window the
    # first pass was unsure of towards their sounds, and the guard stops that.
    artifact = Artifact(phrases=("Kafka", "Cilium", "Velero"), prompt="")
    heard = words(
        ("get", 0, 300, 0.3), ("the", 300, 500, 0.3), ("receipt", 500, 900, 0.3), ("emailed.", 900, 1300, 0.3)
    )
    rewrite = "get the recity mail."
    engine = FakeEngine(result(words(*((t, 300 * i, 300 * i + 250, 0.9) for i, t in enumerate(rewrite.split())))))
    engine.likelihoods = {rewrite: -18.0}
    out = second_pass(engine, np.zeros(16000 * 2, np.float32), result(heard), Guide.of(artifact, RequestOptions()))
    assert engine.calls
    assert out.text == "get the receipt emailed."


def test_a_phrase_list_decode_that_writes_none_of_its_terms_is_judged_without_its_prompt() -> None:
    # A phrase-list model: the window's hotwords pull a sentence without any of its terms towards
    # their sounds; that rewrite is judged against the first pass by the engine alone.
    artifact = Artifact(phrases=("Kafka", "Cilium", "Velero"), prompt="")
    heard = words(("get", 0, 300, 0.9), ("the", 300, 500, 0.9), ("receipt", 500, 900, 0.3), ("emailed.", 900, 1300, 0.4))
    cases = [
        ("get the recity mail.", -18.0, "get the receipt emailed."),  # no term, far less likely: first pass
        ("get the receipt mailed.", -11.0, "get the receipt mailed."),  # no term, about as likely: stands
        ("get the Velero emailed.", -30.0, "get the Velero emailed."),  # writes a term: stands
    ]
    for rewrite, score, expected in cases:
        engine = FakeEngine(result(words(*((t, 300 * i, 300 * i + 250, 0.9) for i, t in enumerate(rewrite.split())))))
        seen: list[str | None] = []
        engine.likelihoods = {rewrite: score}
        scored = engine.log_likelihoods
        engine.log_likelihoods = lambda samples, texts, prompt=None: seen.append(prompt) or scored(samples, texts, prompt)
        out = second_pass(engine, np.zeros(16000 * 2, np.float32), result(heard), Guide.of(artifact, RequestOptions()))
        assert out.text == expected, (rewrite, out.text)
        if "Velero" not in rewrite:
            assert seen[-1] is None  # scored by the engine alone


def test_a_second_decode_stuck_in_a_loop_gives_way_to_the_first_pass_even_with_a_term() -> None:
    # When every temperature of its fallback failed, faster-whisper returns a decode stuck on a
    # syllable as it is; this one holds a term, which alone would let it stand.
    artifact = Artifact(phrases=("Kafka", "Cilium", "Velero"), prompt="")
    heard = words(("the", 0, 300, 0.9), ("notes", 300, 600, 0.9), ("for", 600, 800, 0.9), ("Pulumi.", 800, 1300, 0.3))
    loop = "the notes for Velero-" + "me-" * 40 + "me."
    engine = FakeEngine(result(words(*((t, 300 * i, 300 * i + 250, 0.9) for i, t in enumerate(loop.split())))))

    out = second_pass(engine, np.zeros(16000 * 2, np.float32), result(heard), Guide.of(artifact, RequestOptions()))

    assert out.text == "the notes for Pulumi."


def test_a_few_looping_words_in_a_long_decode_count_as_a_loop_and_spoken_repeats_do_not() -> None:
    looping = (
        "We moved house last month and I never got the letter. Before I forget, how long is the"
        " container going to sit out here? The sky-oh-oh-oh-oh-oh-oh-oh-oh-oh-oh-oh-oh! Give a new"
        " date for the sailing. Hello again, it's me from earlier. The carrier gave a new date for"
        " the sailing. The rate from Hamburg went up again and the customer wants to know why."
    )

    assert get_compression_ratio(looping) < second_pass_module.LOOP_COMPRESSION_RATIO  # the old test passed it
    assert second_pass_module._loops(looping)
    assert second_pass_module._loops("thank you " * 4)
    assert not second_pass_module._loops("No, no, no, no, that is not what I said. Thank you, thank you.")
    assert not second_pass_module._loops("Squawk seven seven seven seven, climb one one thousand.")


def test_second_decodes_follow_the_requests_temperature() -> None:
    artifact = Artifact(phrases=("Kafka", "Cilium", "Velero"), prompt="")
    heard = words(("we", 0, 300, 0.9), ("moved", 300, 600, 0.9), ("Kefka.", 600, 1300, 0.3))
    for request, expected in ((RequestOptions(), None), (RequestOptions(temperature=0.6), (0.6, 0.8, 1.0))):
        engine = FakeEngine(result(words(("we", 0, 300, 0.9), ("moved", 300, 600, 0.9), ("Kafka.", 600, 1300, 0.9))))
        second_pass(engine, np.zeros(16000 * 2, np.float32), result(heard), Guide.of(artifact, request))
        assert [options.temperature for _, options in engine.calls] == [expected]


def test_a_second_decode_that_skips_confidently_heard_speech_gives_way_to_the_first_pass() -> None:
    said = "Call Kavanaugh Biolabs. He hoped there would be stew for dinner and fat mutton."
    heard = words(*((t, 300 * i, 300 * i + 250, 0.9) for i, t in enumerate(said.split())))
    jumped = "Call Kavanaugh Biolabs and fat mutton."  # "He hoped ... dinner" left out
    engine = FakeEngine(result(words(*((t, 300 * i, 300 * i + 250, 0.9) for i, t in enumerate(jumped.split())))))
    artifact, _ = build(["Kavanaugh Biolabs ordered twelve more units.", "Call Kavanaugh Biolabs today."])

    out = second_pass(engine, np.zeros(16000 * 5, np.float32), result(heard), Guide.of(artifact, RequestOptions()))

    assert out.text == said


def test_a_second_decode_that_writes_the_names_keeps_them_and_not_a_rewording_of_the_rest_the_audio_disfavours() -> None:
    said = "call canva nomena ram. He hoped there would be stew for dinner, turnips and carrots."
    heard = words(*((t, 300 * i, 300 * i + 250, 0.9) for i, t in enumerate(said.split())))
    again = "call Kavanaugh Biolabs. He hoped there would be Stu for dinner, turnipson kerats."
    engine = FakeEngine(result(words(*((t, 300 * i, 300 * i + 250, 0.9) for i, t in enumerate(again.split())))))
    artifact, _ = build(["Kavanaugh Biolabs ordered twelve more units.", "Call Kavanaugh Biolabs today."])
    # The second decode's other changes are put back where the audio prefers the first pass's
    # words (its own text scores -10).
    engine.likelihoods = {"call Kavanaugh Biolabs. He hoped there would be stew for dinner, turnips and carrots.": -9.0}

    out = second_pass(engine, np.zeros(16000 * 5, np.float32), result(heard), Guide.of(artifact, RequestOptions()))

    assert out.text == "call Kavanaugh Biolabs. He hoped there would be stew for dinner, turnips and carrots."
    assert [w.start for w in out.words] == sorted(w.start for w in out.words)
    # Where the audio prefers the rewording, it stays.
    engine = FakeEngine(result(words(*((t, 300 * i, 300 * i + 250, 0.9) for i, t in enumerate(again.split())))))
    engine.likelihoods = {again: -9.0}
    out = second_pass(engine, np.zeros(16000 * 5, np.float32), result(heard), Guide.of(artifact, RequestOptions()))
    assert out.text == again


def test_a_second_decode_that_keeps_only_a_sentence_of_its_window_gives_way_even_with_no_anchor_after_the_gap() -> None:
    # As on a long recording (lab, 2026-12-07): a prompted decode kept the window's first sentence
    # and its last three words, which were then confirmed as a customer's name, so no words it
    # shared with the first pass marked where the skipped speech ended. Doubtful words throughout.
    said = (
        "I am sharing the timeline document right now. It turns out that everyone was pointing at the "
        "wrong region the whole time. Thanks for holding. Can you check the payment that went out on Friday."
    )
    heard = words(*((t, 300 * i, 300 * i + 250, 0.4) for i, t in enumerate(said.split())))
    jumped = "I am sharing the timeline document right now. Tekton Friday."
    engine = FakeEngine(result(words(*((t, 300 * i, 300 * i + 250, 0.9) for i, t in enumerate(jumped.split())))))
    artifact, _ = build(["Tekton runs the release pipeline.", "The payment for Tekton went out on Friday."])

    out = second_pass(engine, np.zeros(16000 * 12, np.float32), result(heard), Guide.of(artifact, RequestOptions()))

    assert out.text == said


def test_a_window_heard_with_confidence_in_common_words_keeps_the_first_pass_without_a_decode() -> None:
    artifact, _ = build(["Our strong results were good for Zentrix.", "Strong results improved on Zentrix sales."])
    heard = words(("Our", 0, 300, 0.9), ("results", 300, 800, 0.9), ("improved.", 800, 1300, 0.9))
    engine = FakeEngine()

    out = second_pass(engine, np.zeros(16000 * 2, np.float32), result(heard), Guide.of(artifact, RequestOptions()))

    assert out.text == "Our results improved." and engine.calls == []


def test_a_phrase_spotted_only_in_the_second_decode_is_confirmed_in_place() -> None:
    # The first pass's "he said" resembles nothing of the list; the hotword decode writes
    # "Selium", which is spotted as "Cilium" only then, and the decoder confirms it.
    distractors = [f"Zorvex{i}" for i in range(998)]
    artifact = Artifact(phrases=("Kafka", *distractors, "Cilium"), prompt="")
    heard = [("we", 0.9), ("moved", 0.9), ("Kefka", 0.3), ("behind", 0.9), ("he", 0.4), ("said.", 0.4)]
    again_heard = [("we", 0.9), ("moved", 0.9), ("Kafka", 0.9), ("behind", 0.9), ("Selium.", 0.4)]
    first = result(words(*((t, 300 * i, 300 * i + 250, c) for i, (t, c) in enumerate(heard))))
    again = result(words(*((t, 300 * i, 300 * i + 250, c) for i, (t, c) in enumerate(again_heard))))
    engine = FakeEngine(first, again)
    engine.likelihoods = {"we moved Kafka behind Cilium.": -9.0}

    out = transcribe(engine, np.zeros(16000 * 2, dtype=np.float32), artifact)

    assert out.text == "we moved Kafka behind Cilium."


class FakeBatchEngine(FakeEngine):
    def transcribe_many(self, items: list[tuple[np.ndarray, DecodeOptions]], batch_size: int = 8, **kwargs: object):
        self.batch_kwargs = kwargs
        return [self.transcribe(samples, options) for samples, options in items]


def test_a_batched_window_decoded_once_keeps_the_first_pass_after_its_early_stop() -> None:
    """Batched, a window's decode does not go on after an early stop (`skip_tail_s` of a whole
    window), so what it left out is the first pass's, even after a finished sentence."""
    artifact, _ = build(["We shipped the Zentrix Omniflow router last spring."])
    first, again = _router_then_more()
    engine = FakeBatchEngine(first, again)

    out = transcribe(engine, np.zeros(16000 * 6, dtype=np.float32), artifact, batched=True)

    assert out.text == "we shipped the router. and that is why we talk about it"
    assert engine.batch_kwargs["skip_tail_s"] == WINDOW_S and engine.batch_kwargs["rerank"] is True


def test_batched_the_windows_of_a_recording_are_decoded_again_in_one_call_their_encodings_kept() -> None:
    artifact, _ = build(["We shipped the Zentrix Omniflow router last spring."])
    # Two windows (a pause at 20 s), each with a doubtful word.
    first = result(
        words(("the", 0, 400, 0.9), ("metric", 500, 900, 0.3), ("sum", 1000, 1400, 0.3))
        + words(("the", 40_000, 40_400, 0.9), ("metric", 40_500, 40_900, 0.3), ("sum", 41_000, 41_400, 0.3))
    )
    again = result(words(("the", 0, 400, 0.9), ("Zentrix", 500, 900, 0.9), ("Omniflow", 1000, 1400, 0.9)))
    engine = FakeBatchEngine(first, again, again)

    out = transcribe(engine, np.zeros(16000 * 42, dtype=np.float32), artifact, batched=True)

    assert out.text == "the Zentrix Omniflow the Zentrix Omniflow"
    assert engine.batch_kwargs["keep_encodings"] is True
    assert [length for length, _ in engine.calls[1:]] == [16000 * 207 // 10, 16000 * 213 // 10]


def test_words_put_back_stay_in_time_order_where_the_passes_timed_them_differently() -> None:
    from sagemaker_jobs.asr.custom.second_pass import _compose, _stretches

    heard = words(*((t, s, s + 100, 0.9) for t, s in zip("abxcd", (0, 100, 200, 300, 400))))
    # The second decode heard "y" for "x", and timed "b" and "c" later and earlier.
    again = words(
        ("a", 0, 100, 0.9), ("b", 220, 240, 0.9), ("y", 240, 250, 0.9), ("c", 250, 400, 0.9), ("d", 400, 500, 0.9)
    )
    parts = _stretches(heard, again, frozenset())

    out = _compose(parts, {k for k, part in enumerate(parts) if part.revertible})

    assert [w.text for w in out] == ["a", "b", "x", "c", "d"]
    assert [w.start for w in out] == [0, 220, 220, 250, 400]
