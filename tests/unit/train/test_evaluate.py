"""Training's evaluation on real recordings through the real engine."""

from __future__ import annotations

from pathlib import Path

import pytest

from sagemaker_jobs.asr.engine import Engine
from sagemaker_jobs.train.evaluate import evaluate
from sagemaker_jobs.train.formats import EvaluationPair, RawCorpus

NAMES_REFERENCE = (
    "Please reset the Zentrix Omniflow router and call Kavanaugh Biolabs. "
    "Our Zentrix Omniflow sales grew, and Kavanaugh Biolabs renewed the contract."
)


@pytest.mark.slow
def test_the_model_is_measured_on_recordings_it_has_not_seen(
    engine: Engine, audio_dir: Path, references: dict[str, str]
) -> None:
    history = (audio_dir / "custom_model_history.txt").read_text().splitlines()
    corpus = RawCorpus(
        texts=history,
        pairs=[
            EvaluationPair("names.ogg", (audio_dir / "custom_model_names.ogg").read_bytes(), NAMES_REFERENCE),
            EvaluationPair(
                "ls.flac", (audio_dir / "ls_1089-134686-0002.flac").read_bytes(), references["ls_1089-134686-0002.flac"]
            ),
            EvaluationPair("broken.flac", (audio_dir / "corrupt.flac").read_bytes(), "whatever was said"),
        ],
    )

    result = evaluate(corpus, engine_factory=lambda: engine)

    assert result["pairs"] == 3 and result["evaluated"] == 2 and result["folds"] == 2
    assert result["skipped"] == [{"name": "broken.flac", "reason": result["skipped"][0]["reason"]}]
    assert "cannot be used" in result["skipped"][0]["reason"]
    # The invented names are what the model is for; the unrelated LibriSpeech clip must not suffer.
    assert result["wer_with"] < result["wer_without"], result
    assert result["domain_term_error_rate_with"] < result["domain_term_error_rate_without"]
    by_name = {p["name"]: p for p in result["per_pair"]}
    assert by_name["ls.flac"]["wer_with"] <= by_name["ls.flac"]["wer_without"]


def test_without_text_besides_a_pair_there_is_nothing_to_measure(engine: Engine, audio_dir: Path) -> None:
    corpus = RawCorpus(
        pairs=[EvaluationPair("names.ogg", (audio_dir / "custom_model_names.ogg").read_bytes(), NAMES_REFERENCE)]
    )

    result = evaluate(corpus, engine_factory=lambda: engine)

    assert result["evaluated"] == 0
    assert "no text besides its own reference" in result["skipped"][0]["reason"]
