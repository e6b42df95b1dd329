"""The SageMaker training entrypoint: corpus in, custom model out.

SageMaker's training contract: the corpus channel is in ``/opt/ml/input/data/corpus/``,
hyperparameters in ``/opt/ml/input/config/hyperparameters.json``; the model goes to
``/opt/ml/model/`` (SageMaker packs it as model.tar.gz), and a failure's reason to
``/opt/ml/output/failure`` with a non-zero exit. ``HARK_SAGEMAKER_ROOT`` moves ``/opt/ml``
for the local runner, which has no container filesystem to put it in.
"""
from __future__ import annotations

import json
import logging
import os
import sys
import time
import traceback
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

from sagemaker_jobs.asr.custom.artifact import Artifact
from sagemaker_jobs.asr.custom.build import build
from sagemaker_jobs.asr.custom.corpus import CorpusError
from sagemaker_jobs.env import int_from_env
from sagemaker_jobs.train.evaluate import evaluate
from sagemaker_jobs.train.formats import read_channel

log = logging.getLogger("hark.train")
CHANNEL = "corpus"
METRICS_FILE = "metrics.json"


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    root = Path(os.environ.get("HARK_SAGEMAKER_ROOT", "/opt/ml"))
    model_dir = root / "model"
    try:
        started = time.monotonic()
        corpus = read_channel(root / "input" / "data" / CHANNEL)
        # The recordings' references are the customer's transcripts too: they train the model.
        texts = [*corpus.texts, *(p.reference for p in corpus.pairs)]
        artifact, metrics = build(texts, corpus.phrases)
        utterances = training_utterances(texts, corpus.phrases)
        if adapts(corpus.adapt_decoder, os.environ, utterances):
            artifact = adapt_decoder(artifact, texts, corpus.phrases, metrics)
        elif corpus.adapt_decoder is None:  # say why, and how to ask for it
            metrics["adapt_skipped"] = (
                f"{utterances} utterances of text; the decoder adapts from {ADAPT_MIN_UTTERANCES}"
                if default_adapts(os.environ)
                else "the service does not adapt the decoder by default"
            ) + ' (a model asks with "adapt_decoder": true)'
        if corpus.pairs:
            metrics["evaluation"] = evaluate(corpus)
        model_dir.mkdir(parents=True, exist_ok=True)
        artifact.save(model_dir)
        metrics["training_seconds"] = round(time.monotonic() - started, 2)
        (model_dir / METRICS_FILE).write_text(json.dumps(metrics, indent=1))
        log.info("custom model built in %.1f s: %s", metrics["training_seconds"], json.dumps(metrics)[:500])
        return 0
    except CorpusError as e:
        return _fail(root, str(e))
    except Exception as e:  # the job must end with a reason, whatever happened
        traceback.print_exc()
        return _fail(root, f"training failed: {type(e).__name__}: {e}")


ADAPT_ENV = "HARK_ADAPT_DECODER"
"""The service's default for models whose request does not say (`adapt_decoder`): 1 or 0.
Off unless set: on the real call of the TUNE sets (Twitter, 42 clips) the adapted decoder under
the two passes was worse than the two passes alone at every corpus size measured (10, 20 and all
71 sentences; bench/README, "Adapting the decoder"); it gains on synthetic (espeak-ng) customers,
which the adaptation's own espeak-ng speech flatters."""

ADAPT_MIN_UTTERANCES = 20
"""Where the service adapts by default, only a corpus of at least this many utterances
(sentences and phrases) is adapted to: from 5 sentences the adapted decoder cost accuracy on
every synthetic customer, from 10-20 it added to the two passes there."""


def default_adapts(environ: Mapping[str, str]) -> bool:
    return environ.get(ADAPT_ENV, "0").strip().lower() not in ("0", "false", "no", "")


def adapts(requested: bool | None, environ: Mapping[str, str], utterances: int) -> bool:
    """Whether the training job adapts the decoder: the model request's choice, else the
    service's default (`HARK_ADAPT_DECODER`) for a corpus big enough to learn from."""
    if requested is not None:
        return requested
    return default_adapts(environ) and utterances >= ADAPT_MIN_UTTERANCES


def training_utterances(texts: list[str], phrases: list[str]) -> int:
    """How much the decoder would learn from: the texts' sentences (a long one counting once per
    `MAX_UTTERANCE_WORDS`, the most adapting speaks at once) and each phrase on its own."""
    from sagemaker_jobs.asr.custom.adapt.speech import MAX_UTTERANCE_WORDS, says_something, sentences

    spoken = [s for text in texts for s in sentences(text) if says_something(s)]
    return sum(-(-len(s.split()) // MAX_UTTERANCE_WORDS) for s in spoken) + len(phrases)


def adapt_decoder(artifact: Artifact, texts: list[str], phrases: list[str], metrics: dict) -> Artifact:
    """`artifact` with the speech model's decoder adapted to the customer's text and phrases
    (each phrase said on its own)."""
    from sagemaker_jobs.asr.custom.adapt.train import AdaptSettings, adapt  # torch: only where a model adapts
    from sagemaker_jobs.asr.engine import EngineSettings

    started = time.monotonic()
    settings = EngineSettings.from_env(os.environ)
    budget = AdaptSettings(
        windows=int_from_env(os.environ, "HARK_ADAPT_WINDOWS", AdaptSettings.windows),
        epochs=int_from_env(os.environ, "HARK_ADAPT_EPOCHS", AdaptSettings.epochs),
    )
    weights = adapt([*texts, *(f"{p}." for p in phrases)], settings.model_dir, budget)
    metrics["adapt_seconds"] = round(time.monotonic() - started, 2)
    metrics["adapted_decoder"] = bool(weights)
    params = {**artifact.params, "base_model": settings.model_name}
    return replace(artifact, decoder_weights=weights, params=params)


def _fail(root: Path, reason: str) -> int:
    (root / "output").mkdir(parents=True, exist_ok=True)
    (root / "output" / "failure").write_text(reason)
    log.error("%s", reason)
    return 1


if __name__ == "__main__":
    sys.exit(main())
