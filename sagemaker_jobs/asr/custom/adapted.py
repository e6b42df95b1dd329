"""Engines of custom models that adapted the decoder (`adapt.train`): the base model with the
model's weights put in, loaded on first use and kept for a few models at a time.

An adapted engine holds a whole speech model (about 40 MB for tiny.en in int8), so only the
few most recently used are kept; the artifacts themselves (`model_cache`) hold the weights.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
import threading
from collections import OrderedDict
from dataclasses import replace
from pathlib import Path

from sagemaker_jobs.asr import ct2_model
from sagemaker_jobs.asr.custom.artifact import Artifact
from sagemaker_jobs.asr.engine import Engine

log = logging.getLogger(__name__)
DEFAULT_CAPACITY = 4


class AdaptedEngines:
    def __init__(self, capacity: int = DEFAULT_CAPACITY) -> None:
        self._capacity = capacity
        self._engines: OrderedDict[str, Engine] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._engines)

    def for_model(self, base: Engine, artifact: Artifact | None) -> Engine | None:
        """`base` with `artifact`'s adapted decoder (for `apply.transcribe`'s `adapted`); None
        when the model has none for that base model (its text and phrases apply either way)."""
        if artifact is None or not artifact.decoder_weights:
            return None
        if artifact.params.get("base_model") != base.settings.model_name:
            return None  # adapted for another speech model: its weights do not fit this one
        key = f"{base.settings.model_name}:{artifact.decoder_digest}"
        with self._lock:  # one load at a time: two requests for a new model load it once
            if key in self._engines:
                self._engines.move_to_end(key)
                return self._engines[key]
            engine = self._load(base, artifact)
            self._engines[key] = engine
            while len(self._engines) > self._capacity:
                self._engines.popitem(last=False)
            return engine

    def _load(self, base: Engine, artifact: Artifact) -> Engine:
        settings = base.settings
        directory = Path(tempfile.mkdtemp(prefix="hark-adapted-"))
        try:
            ct2_model.with_weights(settings.model_dir, artifact.decoder_weights, directory)
            # CTranslate2 and the tokenizer read the files once, at load: the copy can go after.
            # The name stays the base model's: it is what `speech_model_used` reports, and the
            # transcript names the custom model on its own.
            engine = Engine(replace(settings, model_dir=directory))
        finally:
            shutil.rmtree(directory, ignore_errors=True)
        log.info("loaded an adapted decoder (%s) on %s", artifact.decoder_digest[:12], settings.model_name)
        return engine
