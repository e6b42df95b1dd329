"""The custom model on real audio through the real engine: invented names go from wrong to right."""

from pathlib import Path

import pytest

from sagemaker_jobs.asr import audio
from sagemaker_jobs.asr.custom import RequestOptions, build
from sagemaker_jobs.asr.custom.apply import transcribe
from sagemaker_jobs.asr.engine import Engine

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
