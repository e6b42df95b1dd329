import json
from pathlib import Path

import pytest

from sagemaker_jobs.asr.custom import Artifact, ArtifactError, BuildParams, CorpusError, build, load
from sagemaker_jobs.asr.custom.artifact import FILENAME

TEXTS = [
    "We shipped the Zentrix Omniflow router to every branch.",
    "Kavanaugh Biolabs is our largest customer.",
    "The Omniflow firmware update fixed the login bug.",
    "Call support if the Zentrix unit blinks red.",
    "Kavanaugh Biolabs ordered twelve more units.",
]


def test_build_reports_metrics_and_the_artifact_round_trips(tmp_path: Path) -> None:
    artifact, metrics = build(TEXTS, ["Omniflow Pro"])

    assert artifact.phrases[0] == "Omniflow Pro"
    assert {"Zentrix", "Omniflow", "Kavanaugh Biolabs"} <= set(artifact.phrases)
    assert "Zentrix" in artifact.prompt or "Zentrix" in artifact.phrases
    assert metrics["corpus_sentences"] == 5
    assert metrics["corpus_words"] == 37
    assert metrics["vocabulary_size"] > 20
    assert metrics["domain_phrases_found"] >= 4
    assert metrics["domain_phrases"][0]["text"] == "Omniflow Pro"
    # Five sentences are too few to hold any out.
    assert metrics["heldout_perplexity"] is None

    artifact.save(tmp_path / "model")
    loaded = load(tmp_path / "model")

    assert loaded == artifact
    body = json.loads((tmp_path / "model" / FILENAME).read_text())
    assert body["format"] == "hark-custom-model" and body["version"] == 2


def test_a_larger_corpus_gets_held_out_perplexity_and_oov_rate() -> None:
    texts = [f"Sentence {i} says Zentrix sold {i % 7} routers to Kavanaugh Biolabs." for i in range(100)]

    _, metrics = build(texts, params={"heldout_fraction": 0.2})

    assert metrics["heldout_sentences"] == 20
    assert 1 < metrics["heldout_perplexity"] < 50
    assert 0 < metrics["heldout_oov_rate"] < 0.2


def test_build_refuses_garbage_and_unknown_params() -> None:
    with pytest.raises(CorpusError):
        build([b"\x00\x01\x02"])
    with pytest.raises(CorpusError, match="unknown build parameter"):
        build(TEXTS, params={"nope": 1})
    assert BuildParams.from_mapping({"max_phrases": 10}).max_phrases == 10


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "no custom_model.json"),
        ("{not json", "not valid JSON"),
        (json.dumps({"format": "other"}), "not a Hark custom model"),
        (json.dumps({"format": "hark-custom-model", "version": 99, "phrases": [], "prompt": ""}), "version 99"),
        (json.dumps({"format": "hark-custom-model", "version": 1}), "missing or has a malformed field"),
    ],
)
def test_load_refuses_what_it_cannot_read(tmp_path: Path, content: str | None, message: str) -> None:
    if content is not None:
        (tmp_path / FILENAME).write_text(content)
    with pytest.raises(ArtifactError, match=message):
        Artifact.load(tmp_path)
