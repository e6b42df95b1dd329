"""Custom models: a customer's text in, a small artifact out, and its use around decoding.

- ``corpus``: parses and validates customer text and phrases (`CorpusError`).
- ``mining``: finds the domain phrases of a corpus (rare words, names, codes).
- ``textfile``: customer files in any common encoding, transcripts cleaned of labels and marks.
- ``context``: the customer's sentences as each window's decoder context (BM25).
- ``spotting``: which of thousands of phrases were plausibly said in a window.
- ``lm``: a small n-gram LM, for held-out perplexity and OOV rate at build time.
- ``build``: `build(texts, phrases, params) -> (Artifact, metrics)`.
- ``artifact``: the versioned artifact, `Artifact.save(dir)` / `Artifact.load(dir)`.
- ``bias``: boost levels and the decoder phrase string.
- ``request``: `RequestOptions`, a request's hints read from the job's typed options.
- ``apply``: `transcribe(engine, samples, artifact, request)`, and its steps `correct` (and for
  single-pass decodes `decode_options`, `recover_tail`).
- ``second_pass``: each window decoded again with its own context and phrases (`Guide`).
- ``edits``: the edit buffer over a result's words, and respelling by sound.
- ``style``: the customer's house spellings ("OK", "e-mail"), learned from their text.

The names of ``apply`` are imported lazily, so building a model (the training job) does not
load faster-whisper.
"""

import importlib
from typing import Any

from sagemaker_jobs.asr.custom.artifact import Artifact, ArtifactError, load
from sagemaker_jobs.asr.custom.build import BuildParams, build
from sagemaker_jobs.asr.custom.corpus import CorpusError
from sagemaker_jobs.asr.custom.request import RequestOptions

# `apply` needs the engine (faster-whisper): imported on first use.
_LAZY = {"correct", "decode_options", "recover_tail", "transcribe"}

__all__ = sorted(
    ["Artifact", "ArtifactError", "BuildParams", "CorpusError", "RequestOptions", "build", "load", *_LAZY]
)


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.apply"), name)
