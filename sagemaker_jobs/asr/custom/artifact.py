"""The custom model artifact: what `build` makes and the inference container loads.

A directory with one JSON file, `custom_model.json`:

    {"format": "hark-custom-model", "version": 1,
     "phrases": [...],          ranked domain phrases, the customer's explicit ones first
     "prompt": "...",           the decoder prompt built from them
     "lexicon": [...],          spellings the post-decode correction may restore
     "sentences": [...],        the customer's sentences, the decoder's context (version 2)
     "params": {...}, "metrics": {...}}

It is readable and versioned: `load` reads versions 1 (phrases only) and 2, and refuses a
format version it does not know rather than guess. With 350k words of text it is about 2 MB.

A model that adapted the speech model's decoder (`adapt.train`) also has `decoder.npz`: the
changed weights under their CTranslate2 names (float16, about 14 MB for tiny.en), applied to
the base model the model was trained for (`params["base_model"]`) where it is used.
"""

import hashlib
import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from sagemaker_jobs.asr.custom.context import ContextIndex
from sagemaker_jobs.asr.custom.style import HouseStyle
from sagemaker_jobs.asr.errors import AsrError

if TYPE_CHECKING:
    from sagemaker_jobs.asr.custom.spotting import PhraseSpotter

FORMAT = "hark-custom-model"
VERSION = 2
READABLE_VERSIONS = (1, 2)
FILENAME = "custom_model.json"
DECODER_FILENAME = "decoder.npz"


class ArtifactError(AsrError):
    """A custom model directory that cannot be loaded; the message says why."""


@dataclass(frozen=True)
class Artifact:
    phrases: tuple[str, ...]
    """Domain phrases, best first; explicit customer phrases lead."""
    prompt: str
    """The decoder prompt (`initial_prompt`) this model biases decoding with."""
    lexicon: tuple[str, ...] = ()
    """Domain spellings (names, rare words) the post-decode correction may restore."""
    sentences: tuple[str, ...] = ()
    """The customer's sentences, from which each window's decoder context is chosen."""
    params: dict[str, Any] = field(default_factory=dict)
    """The build parameters, for the record."""
    metrics: dict[str, Any] = field(default_factory=dict)
    """What `build` measured, for the record."""
    version: int = VERSION
    decoder_weights: Mapping[str, np.ndarray] = field(default_factory=dict, compare=False, repr=False)
    """The adapted decoder's weights (CTranslate2 variable name -> array); empty when the model
    did not adapt the decoder. Kept in `decoder.npz`, not in the JSON."""

    @cached_property
    def decoder_digest(self) -> str:
        """Identifies the adapted weights (what adapted engines are cached by)."""
        digest = hashlib.sha256()
        for name in sorted(self.decoder_weights):
            digest.update(name.encode())
            digest.update(np.ascontiguousarray(self.decoder_weights[name]).tobytes())
        return digest.hexdigest()

    def to_dict(self) -> dict[str, Any]:
        body = asdict(self)
        del body["decoder_weights"]
        body["phrases"] = list(self.phrases)
        body["lexicon"] = list(self.lexicon)
        body["sentences"] = list(self.sentences)
        return {"format": FORMAT, **body}

    @classmethod
    def from_dict(cls, body: dict[str, Any]) -> "Artifact":
        if not isinstance(body, dict) or body.get("format") != FORMAT:
            raise ArtifactError("not a Hark custom model (no 'format': 'hark-custom-model')")
        if body.get("version") not in READABLE_VERSIONS:
            raise ArtifactError(
                f"custom model format version {body.get('version')!r} is not supported (expected {VERSION})"
            )
        try:
            phrases = tuple(str(p) for p in body["phrases"])
            prompt = str(body["prompt"])
            lexicon = tuple(str(p) for p in body.get("lexicon", ()))
            sentences = tuple(str(s) for s in body.get("sentences", ()))
        except (KeyError, TypeError) as error:
            raise ArtifactError(f"custom model is missing or has a malformed field: {error}") from None
        return cls(
            phrases=phrases,
            prompt=prompt,
            lexicon=lexicon,
            sentences=sentences,
            params=dict(body.get("params") or {}),
            metrics=dict(body.get("metrics") or {}),
        )

    @cached_property
    def house_style(self) -> HouseStyle:
        """The written forms the customer's sentences prefer (computed once per loaded model,
        so models built before it have it too)."""
        return HouseStyle.of(self.sentences)

    @cached_property
    def context(self) -> ContextIndex:
        """The sentence index, built once per loaded model (the inference container caches
        loaded models)."""
        return ContextIndex(self.sentences)

    @cached_property
    def spotter(self) -> "PhraseSpotter":
        # Imported here: building a model (the training job's first step) needs no matcher.
        from sagemaker_jobs.asr.custom.spotting import PhraseSpotter

        return PhraseSpotter(self.phrases)

    def save(self, directory: str | Path) -> Path:
        """Writes `custom_model.json` into `directory` (created if needed); returns its path."""
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / FILENAME
        tmp = path.with_suffix(".json.tmp")
        body = json.dumps(self.to_dict(), ensure_ascii=False, indent=1, sort_keys=True)
        tmp.write_text(body + "\n", encoding="utf-8")
        if self.decoder_weights:
            weights = directory / DECODER_FILENAME
            with open(weights.with_suffix(".tmp"), "wb") as out:
                np.savez(out, **self.decoder_weights)
            weights.with_suffix(".tmp").replace(weights)
        tmp.replace(path)
        return path

    @classmethod
    def load(cls, directory: str | Path) -> "Artifact":
        path = Path(directory) / FILENAME
        if not path.is_file():
            raise ArtifactError(f"no {FILENAME} in the custom model directory")
        try:
            body = json.loads(path.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise ArtifactError(f"{FILENAME} is not valid JSON: {error}") from None
        artifact = cls.from_dict(body)
        weights = Path(directory) / DECODER_FILENAME
        if weights.is_file():
            try:
                with np.load(weights, allow_pickle=False) as packed:
                    decoder = {name: packed[name] for name in packed.files}
            except (OSError, ValueError) as error:
                raise ArtifactError(f"{DECODER_FILENAME} is not readable: {error}") from None
            artifact = replace(artifact, decoder_weights=decoder)
        return artifact


def save(artifact: Artifact, directory: str | Path) -> Path:
    return artifact.save(directory)


def load(directory: str | Path) -> Artifact:
    return Artifact.load(directory)
