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
from pathlib import Path

from sagemaker_jobs.asr.custom.build import build
from sagemaker_jobs.asr.custom.corpus import CorpusError
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
        artifact, metrics = build([*corpus.texts, *(p.reference for p in corpus.pairs)], corpus.phrases)
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


def _fail(root: Path, reason: str) -> int:
    (root / "output").mkdir(parents=True, exist_ok=True)
    (root / "output" / "failure").write_text(reason)
    log.error("%s", reason)
    return 1


if __name__ == "__main__":
    sys.exit(main())
