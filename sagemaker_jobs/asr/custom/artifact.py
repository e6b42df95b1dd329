"""The custom model artifact: what `build` makes and the inference container loads.

A directory with one JSON file, `custom_model.json`:

    {"format": "hark-custom-model", "version": 1,
     "phrases": [...],          ranked domain phrases, the customer's explicit ones first
     "prompt": "...",           the decoder prompt built from them
     "lexicon": [...],          spellings the post-decode correction may restore
     "params": {...}, "metrics": {...}}

It is small (a few kB), readable, and versioned: `load` refuses a format version it does not
know rather than guess.
"""

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from sagemaker_jobs.asr.errors import AsrError

FORMAT = "hark-custom-model"
VERSION = 1
FILENAME = "custom_model.json"


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
    params: dict[str, Any] = field(default_factory=dict)
    """The build parameters, for the record."""
    metrics: dict[str, Any] = field(default_factory=dict)
    """What `build` measured, for the record."""
    version: int = VERSION

    def to_dict(self) -> dict[str, Any]:
        body = asdict(self)
        body["phrases"] = list(self.phrases)
        body["lexicon"] = list(self.lexicon)
        return {"format": FORMAT, **body}

    @classmethod
    def from_dict(cls, body: dict[str, Any]) -> "Artifact":
        if not isinstance(body, dict) or body.get("format") != FORMAT:
            raise ArtifactError("not a Hark custom model (no 'format': 'hark-custom-model')")
        if body.get("version") != VERSION:
            raise ArtifactError(
                f"custom model format version {body.get('version')!r} is not supported (expected {VERSION})"
            )
        try:
            phrases = tuple(str(p) for p in body["phrases"])
            prompt = str(body["prompt"])
            lexicon = tuple(str(p) for p in body.get("lexicon", ()))
        except (KeyError, TypeError) as error:
            raise ArtifactError(f"custom model is missing or has a malformed field: {error}") from None
        return cls(
            phrases=phrases,
            prompt=prompt,
            lexicon=lexicon,
            params=dict(body.get("params") or {}),
            metrics=dict(body.get("metrics") or {}),
        )

    def save(self, directory: str | Path) -> Path:
        """Writes `custom_model.json` into `directory` (created if needed); returns its path."""
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / FILENAME
        tmp = path.with_suffix(".json.tmp")
        body = json.dumps(self.to_dict(), ensure_ascii=False, indent=1, sort_keys=True)
        tmp.write_text(body + "\n", encoding="utf-8")
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
        return cls.from_dict(body)


def save(artifact: Artifact, directory: str | Path) -> Path:
    return artifact.save(directory)


def load(directory: str | Path) -> Artifact:
    return Artifact.load(directory)
