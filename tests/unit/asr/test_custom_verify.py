"""Phrase confirmation (custom.verify): which span a phrase is tried on, and what the decoder's
own score decides, with a scripted scorer and with the real engine on real audio."""

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from sagemaker_jobs.asr import audio
from sagemaker_jobs.asr.custom.verify import BONUS_NATS, best_spans, bonus_nats, confirm
from sagemaker_jobs.asr.engine import Engine
from sagemaker_jobs.asr.result import TranscriptionResult, Word


def _result(text: str) -> TranscriptionResult:
    words = tuple(Word(t, 500 * i, 500 * i + 400, 0.9) for i, t in enumerate(text.split()))
    return TranscriptionResult(text, words, 0.9, 5.0, "en_us", "test")


class ScriptedScorer:
    """Scores a text by a table of its contents; records what it was asked."""

    def __init__(self, scores: dict[str, float], default: float = -50.0) -> None:
        self.scores, self.default, self.asked = scores, default, []

    def log_likelihoods(self, samples: np.ndarray, texts: Sequence[str], prompt: str | None = None) -> list[float]:
        self.asked.append((list(texts), prompt))
        return [next((v for k, v in self.scores.items() if k in t), self.default) for t in texts]


def test_a_phrase_is_tried_on_the_span_that_sounds_most_like_it() -> None:
    words = _result("we moved Kefka behind Celiam for extra safety.").words
    spans = best_spans(words, ["Kafka", "Cilium"], keep=set())
    assert {(c.phrase, c.start, c.length) for c in spans} == {("Kafka", 2, 1), ("Cilium", 4, 1)}


def test_a_phrase_not_spotted_is_tried_only_where_the_decode_doubted_what_it_heard() -> None:
    sure = [Word(t, 500 * i, 500 * i + 400, 0.95) for i, t in enumerate("Thanks we moved Kefka behind.".split())]
    words = [*sure[:3], Word("Kefka", 1500, 1900, 0.3), sure[4]]
    guessed = best_spans(words, [], keep=set(), guessed=["Kafka", "Thanos"])
    assert [(c.phrase, c.start) for c in guessed] == [("Kafka", 3)]
    spotted = best_spans(words, ["Thanos"], keep=set(), guessed=["Kafka", "Thanos"])
    assert {(c.phrase, c.start) for c in spotted} == {("Kafka", 3), ("Thanos", 0)}


def test_a_phrase_is_not_tried_on_its_own_inflection() -> None:
    words = _result("to actually reaccelerate our growth").words
    assert best_spans(words, ["reaccelerated"], keep=set()) == []


def test_a_substitution_within_the_bonus_is_kept_and_one_far_below_is_not() -> None:
    result = _result("we moved Kefka behind Celiam for extra safety.")
    scorer = ScriptedScorer(
        {"Kafka behind Celiam": -30 - BONUS_NATS + 1, "Kefka behind Cilium": -30 - BONUS_NATS - 1, "Kefka": -30}
    )
    out = confirm(scorer, np.zeros(16000, np.float32), result, ["Kafka", "Cilium"])
    assert out.text == "we moved Kafka behind Celiam for extra safety."
    assert scorer.asked[0][1] in ("Kafka, Cilium", "Cilium, Kafka")  # under a prompt of the phrases tried
    assert [w.text for w in out.words][2] == "Kafka" and out.words[2].start == 1000


def test_a_phrase_of_a_long_list_needs_more_support_from_the_audio() -> None:
    assert bonus_nats(30) == BONUS_NATS and bonus_nats(100) == BONUS_NATS
    assert 1.5 < bonus_nats(1000) < 2.0 and bonus_nats(10**6) == 1.0
    result = _result("we moved Kefka behind the wall.")
    scorer = ScriptedScorer({"Kafka": -33.0, "Kefka": -30.0})  # the name 3 nats below what was heard
    short = [f"Term{i}" for i in range(29)] + ["Kafka"]
    long = [f"Term{i}" for i in range(999)] + ["Kafka"]
    samples = np.zeros(16000, np.float32)
    assert confirm(scorer, samples, result, ["Kafka"], known=short).text == "we moved Kafka behind the wall."
    assert confirm(scorer, samples, result, ["Kafka"], known=long).text == result.text


def test_a_stronger_prior_and_neighbouring_phrases_scored_together() -> None:
    """boost_param high: a larger prior, and two phrases on neighbouring spans tried as one
    substitution (each alone scoring too far below what was heard, both together not)."""
    result = _result("reset the metric sum if low router now.")
    scorer = ScriptedScorer(
        {"Zentrix Omniflow": -30 - 3.0, "Zentrix sum": -30 - 12.0, "metric Omniflow": -30 - 9.0, "metric sum": -30}
    )
    samples = np.zeros(16000, np.float32)
    phrases = ["Zentrix", "Omniflow"]
    assert confirm(scorer, samples, result, phrases).text == result.text
    assert confirm(scorer, samples, result, phrases, prior_nats=10.0).text == "reset the metric Omniflow router now."
    both = confirm(scorer, samples, result, phrases, prior_nats=10.0, joint_pairs=True)
    assert both.text == "reset the Zentrix Omniflow router now."


def test_a_phrase_already_said_or_a_span_that_is_another_phrase_is_left_alone() -> None:
    result = _result("we hired Jan Peterson and Kafka")
    scorer = ScriptedScorer({}, default=0.0)
    out = confirm(scorer, np.zeros(16000, np.float32), result, ["Kafka", "John Peterson"], known=["Jan Peterson"])
    assert out is result and not scorer.asked


@pytest.mark.slow
def test_the_decoder_scores_the_true_transcript_above_a_sound_alike(engine: Engine, audio_dir: Path) -> None:
    samples = audio.decode((audio_dir / "ls_1089-134686-0000.flac").read_bytes())
    heard = engine.transcribe(samples).text
    true, wrong = engine.log_likelihoods(samples, [heard, heard.replace("turnips", "turn ups")])
    assert "turnips" in heard and true > wrong + 2, (heard, true, wrong)


@pytest.mark.slow
def test_the_decoder_puts_back_a_phrase_it_hears_and_refuses_ones_it_does_not(engine: Engine, audio_dir: Path) -> None:
    samples = audio.decode((audio_dir / "ls_1089-134686-0000.flac").read_bytes())
    heard = engine.transcribe(samples)
    assert "turnips" in heard.text
    misheard = _result(heard.text.replace("turnips", "turn ups"))  # as a first pass mishears a name

    out = confirm(engine, samples, misheard, ["turnips", "Grafana", "Terraform"])

    assert "turnips" in out.text and "Grafana" not in out.text and "Terraform" not in out.text, out.text
    # Phrases that were not said change nothing.
    assert confirm(engine, samples, heard, ["Grafana", "Terraform", "Pulumi"]).text == heard.text
