"""Corpus files as customers upload them → texts and phrases.

- JSON: ``{"texts": [...], "phrases": [...]}`` (what ``POST /v2/model`` stores)
- JSON lines: one object per line with ``text`` or ``phrase``
- CSV with a header naming a ``text`` and/or ``phrase`` column
- anything else: plain text, one document per non-blank line
"""
from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from pathlib import Path

from sagemaker_jobs.asr.custom.corpus import CorpusError

MAX_CORPUS_BYTES = 200_000_000


@dataclass
class RawCorpus:
    texts: list[str] = field(default_factory=list)
    phrases: list[str] = field(default_factory=list)

    def extend(self, other: "RawCorpus") -> None:
        self.texts += other.texts
        self.phrases += other.phrases


def read_channel(directory: Path) -> RawCorpus:
    files = sorted(p for p in directory.rglob("*") if p.is_file())
    if not files:
        raise CorpusError("the corpus is empty: no file was uploaded")
    if sum(p.stat().st_size for p in files) > MAX_CORPUS_BYTES:
        raise CorpusError(f"the corpus is larger than {MAX_CORPUS_BYTES // 1_000_000} MB")
    corpus = RawCorpus()
    for path in files:
        corpus.extend(parse_file(path.name, path.read_bytes()))
    return corpus


def parse_file(name: str, data: bytes) -> RawCorpus:
    if b"\0" in data[:65536]:
        raise CorpusError(f"{name} is binary, not text; upload UTF-8 text, JSON, JSON lines or CSV")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise CorpusError(f"{name} is not UTF-8 text (byte {e.start} is invalid); save it as UTF-8") from e
    kind = Path(name).suffix.lower() or _sniff(text)
    if kind == ".json":
        try:
            return _from_json(json.loads(text), name)
        except json.JSONDecodeError as e:
            raise CorpusError(f"{name} is not valid JSON: {e.msg} (line {e.lineno})") from e
    if kind == ".jsonl":
        return _from_json_lines(text, name)
    if kind == ".csv":
        return _from_csv(text, name)
    return RawCorpus(texts=[line.strip() for line in text.splitlines() if line.strip()])


def _sniff(text: str) -> str:
    """The format of a file uploaded without a name (the presigned corpus upload)."""
    if not text.lstrip().startswith("{"):
        return ".txt"
    try:
        json.loads(text)
        return ".json"
    except json.JSONDecodeError:
        return ".jsonl"


def _strings(value: object, what: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise CorpusError(f"{what} must be a list of strings")
    return list(value)


def _from_json(doc: object, name: str) -> RawCorpus:
    if not isinstance(doc, dict):
        raise CorpusError(f'{name} must be a JSON object like {{"texts": [...], "phrases": [...]}}')
    return RawCorpus(_strings(doc.get("texts", []), "texts"), _strings(doc.get("phrases", []), "phrases"))


def _from_json_lines(text: str, name: str) -> RawCorpus:
    corpus = RawCorpus()
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as e:
            raise CorpusError(f"{name} line {number} is not valid JSON: {e.msg}") from e
        if not isinstance(row, dict) or not ({"text", "phrase"} & row.keys()):
            raise CorpusError(f'{name} line {number} needs a "text" or "phrase" field')
        corpus.texts += [row["text"]] if isinstance(row.get("text"), str) else []
        corpus.phrases += [row["phrase"]] if isinstance(row.get("phrase"), str) else []
    return corpus


def _from_csv(text: str, name: str) -> RawCorpus:
    rows = csv.DictReader(io.StringIO(text))
    columns = {c.strip().lower(): c for c in rows.fieldnames or []}
    if not ({"text", "phrase"} & columns.keys()):
        raise CorpusError(f"{name} needs a header row with a 'text' or 'phrase' column")
    corpus = RawCorpus()
    for row in rows:
        for column, target in (("text", corpus.texts), ("phrase", corpus.phrases)):
            value = (row.get(columns.get(column, "")) or "").strip()
            if value:
                target.append(value)
    return corpus
