"""The speech models one process serves (the inference container, the streaming service), each
loaded once.

The default model (tiny.en, or the deployment's own in HARK_MODEL_DIR) is loaded at start; the
multilingual whisper-base on the first request that asks for it, so a process that only ever
transcribes English keeps tiny.en's memory and start time.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping

from sagemaker_jobs.asr import speech_models
from sagemaker_jobs.asr.engine import Engine, EngineSettings


class UnknownSpeechModel(KeyError):
    pass


class SpeechEngines:
    def __init__(
        self, default: Engine, environ: Mapping[str, str], load: Callable[[EngineSettings], Engine] = Engine
    ) -> None:
        self.default = default
        self._environ = environ
        self._load = load
        self._loaded: dict[str, Engine] = {default.settings.model_name: default}
        self._lock = threading.Lock()

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> "SpeechEngines":
        """The engines of a process whose default engine is the one `environ` describes."""
        return cls(Engine(EngineSettings.from_env(environ)), environ)

    def get(self, name: str | None) -> Engine:
        """The engine of `name` (a `speech_models` name); the default one for None."""
        if name is None:
            return self.default
        if engine := self._loaded.get(name):
            return engine
        if name not in speech_models.MODELS:
            raise UnknownSpeechModel(name)
        with self._lock:  # two first requests for it load it once
            if name not in self._loaded:
                self._loaded[name] = self._load(EngineSettings.from_env(self._environ, name))
            return self._loaded[name]
