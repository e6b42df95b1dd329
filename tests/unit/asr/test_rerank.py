"""Re-ranking the prompted beam with the unprompted model's opinion."""

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import ctranslate2
import numpy as np
import pytest

from sagemaker_jobs.asr import audio
from sagemaker_jobs.asr.engine import DecodeOptions, Engine
from sagemaker_jobs.asr.rerank import RerankingWhisper, attended

EOT = 100


class FakeWhisper:
    """Three hypotheses; the beam prefers the first, the unprompted model the second."""

    def __init__(self, hypotheses: list[list[int]]) -> None:
        self.hypotheses = hypotheses
        self.calls: list[dict[str, Any]] = []

    def generate(self, features: Any, prompts: Any, **kwargs: Any) -> list[Any]:
        self.calls.append(kwargs)
        count = kwargs.get("num_hypotheses", 1)
        return [
            SimpleNamespace(
                sequences_ids=self.hypotheses[:count], scores=[-0.1, -0.2, -0.3][:count], no_speech_prob=0.01
            )
            for _ in prompts
        ]

    def align(self, features: Any, start: Any, tokens: list[list[int]], frames: int) -> list[Any]:
        self.calls.append({"aligned": len(tokens)})
        probabilities = {1: 0.1, 2: 0.9, 3: 0.5}
        return [SimpleNamespace(text_token_probs=[probabilities.get(t, 0.5) for t in item]) for item in tokens]


FEATURES = SimpleNamespace(shape=[1, 1500, 384])


def test_the_prompted_beam_is_reordered_by_both_opinions() -> None:
    fake = FakeWhisper([[1, 1, EOT + 1], [2, 2, EOT + 1], [3, 3, EOT + 1]])
    model = RerankingWhisper(fake)

    with model.reranking([EOT + 2], EOT):
        [result] = model.generate(FEATURES, [[0]], beam_size=3)

    assert fake.calls[0]["num_hypotheses"] == 3
    assert [ids[0] for ids in result.sequences_ids] == [2, 3, 1]
    assert result.scores == [-0.2, -0.3, -0.1]  # each hypothesis keeps its own beam score
    assert result.no_speech_prob == 0.01


def test_in_a_batch_only_the_chosen_items_are_reordered_with_one_align_per_rank() -> None:
    fake = FakeWhisper([[1, 1, EOT + 1], [2, 2, EOT + 1], [3, 3, EOT + 1]])
    model = RerankingWhisper(fake)

    with model.reranking([EOT + 2], EOT, items=[True, False, True]):
        results = model.generate(FEATURES, [[0], [0], [0]], beam_size=3)

    assert [[ids[0] for ids in r.sequences_ids] for r in results] == [[2, 3, 1], [1, 2, 3], [2, 3, 1]]
    assert [call["aligned"] for call in fake.calls if "aligned" in call] == [3, 3, 3]


def test_a_batch_with_no_item_chosen_is_decoded_as_it_was() -> None:
    fake = FakeWhisper([[1, EOT + 1], [2, EOT + 1]])
    model = RerankingWhisper(fake)

    with model.reranking([EOT + 2], EOT, items=[False, False]):
        model.generate(FEATURES, [[0], [0]], beam_size=5)

    assert fake.calls == [{"beam_size": 5}]


@pytest.mark.parametrize("kwargs", [{"beam_size": 1}, {"beam_size": 1, "sampling_temperature": 0.4}])
def test_greedy_and_sampling_decodes_are_untouched(kwargs: dict[str, Any]) -> None:
    fake = FakeWhisper([[1, EOT + 1], [2, EOT + 1]])
    model = RerankingWhisper(fake)

    with model.reranking([EOT + 2], EOT):
        result = model.generate(FEATURES, [[0]], **kwargs)

    assert "num_hypotheses" not in fake.calls[0] and result[0].sequences_ids == [[1, EOT + 1]]


def test_outside_reranking_nothing_changes() -> None:
    fake = FakeWhisper([[1, EOT + 1], [2, EOT + 1]])
    model = RerankingWhisper(fake)

    with model.reranking(None, EOT):
        model.generate(FEATURES, [[0]], beam_size=5)
    model.generate(FEATURES, [[0]], beam_size=5)

    assert all("num_hypotheses" not in call for call in fake.calls)


def test_a_beam_with_an_empty_hypothesis_keeps_its_order() -> None:
    fake = FakeWhisper([[1, EOT + 1], [EOT + 1], [2, EOT + 1]])
    model = RerankingWhisper(fake)

    with model.reranking([EOT + 2], EOT):
        [result] = model.generate(FEATURES, [[0]], beam_size=3)

    assert [ids[0] for ids in result.sequences_ids] == [1, EOT + 1, 2]


@pytest.mark.slow
def test_the_real_engine_reranks_only_biased_decodes(
    engine: Engine, audio_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    samples = audio.decode((audio_dir / "custom_model_names.ogg").read_bytes())
    wrapper = engine._model.model
    assert isinstance(wrapper, RerankingWhisper)
    aligned: list[int] = []
    real_align = wrapper._model.align

    def counting_align(*args: Any, **kwargs: Any) -> Any:
        aligned.append(len(args[2]))
        return real_align(*args, **kwargs)

    monkeypatch.setattr(wrapper, "_model", _Spy(real_align.__self__, counting_align))

    unbiased = engine.transcribe(samples)
    word_timestamp_aligns = len(aligned)
    biased = engine.transcribe(samples, DecodeOptions(hotwords="Zentrix Omniflow, Kavanaugh Biolabs"))

    # Word timestamps align each window once either way; only the biased decode scores its
    # beam's hypotheses (up to beam size per window) on top.
    assert len(aligned) - word_timestamp_aligns > word_timestamp_aligns
    assert "Omniflow" in biased.text and "Omniflow" not in unbiased.text


class _Spy:
    def __init__(self, model: Any, align: Any) -> None:
        self._model = model
        self.align = align

    def __getattr__(self, name: str) -> Any:
        return getattr(self._model, name)


def test_hypotheses_are_scored_against_the_audio_they_were_heard_in() -> None:
    begin = EOT + 10  # the first timestamp token
    features = ctranslate2.StorageView.from_array(np.zeros((1, 1500, 4), dtype=np.float32))
    said = SimpleNamespace(sequences_ids=[[begin, 1, 1, begin + 300], [begin, 2, begin + 620]])
    assert attended(features, [said], begin).shape == [1, 670, 4]  # the last timestamp and a second
    short = SimpleNamespace(sequences_ids=[[begin, 1, begin + 100]])
    assert attended(features, [short], begin).shape == [1, 500, 4]  # never under 10 s
    long = SimpleNamespace(sequences_ids=[[begin, 1, begin + 1480]])
    assert attended(features, [long], begin).shape == [1, 1500, 4]
    untimed = SimpleNamespace(sequences_ids=[[1, 1, begin + 300], [2, 2]])
    assert attended(features, [untimed], begin).shape == [1, 1500, 4]  # a hypothesis without times
