"""Corpus files as customers upload them → texts and phrases.

- JSON: ``{"texts": [...], "phrases": [...]}`` (what ``POST /v2/model`` stores), or transcripts
  exported from Hark or AssemblyAI (`GET /v2/transcript/{id}`) or Amazon Transcribe, one or a list
- JSON lines: one object per line with ``text`` or ``phrase``
- CSV with a header naming a ``text`` and/or ``phrase`` column
- anything else: plain text, the whole file one document (a transcript's speaker labels and
  headings are told from prose by how often they open its lines: `textfile.clean_transcript`);
  a file of terms (one a line, or one line of them between commas) is a phrase list
- a Word document (.docx): its paragraphs, read as plain text
- a ZIP archive of any of the above, which may also hold recordings with their reference
  transcripts: ``call-17.wav`` beside ``call-17.txt``. Training measures WER with and without
  the model on those pairs (see `evaluate`), and their references train the model too.
"""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from xml.etree import ElementTree

from sagemaker_jobs.asr.custom.corpus import MAX_PHRASE_CHARS, MAX_PHRASE_WORDS, CorpusError
from sagemaker_jobs.asr.custom.textfile import TextDecodeError, decode_text

MAX_CORPUS_BYTES = 200_000_000
"""Also the cap on an archive's unpacked size, so a small ZIP cannot unpack to gigabytes."""
MAX_ARCHIVE_MEMBERS = 10_000
AUDIO_SUFFIXES = frozenset({".wav", ".flac", ".mp3", ".ogg", ".opus", ".m4a", ".aac", ".webm", ".mp4", ".wma", ".amr"})
_ZIP_MAGIC = b"PK\x03\x04"
_SENTENCE_END = re.compile(r"[.!?:;][\"')\]]*$")


@dataclass(frozen=True)
class EvaluationPair:
    """A recording and what was said in it, from the customer's archive."""

    name: str
    audio: bytes
    reference: str


@dataclass
class RawCorpus:
    texts: list[str] = field(default_factory=list)
    phrases: list[str] = field(default_factory=list)
    pairs: list[EvaluationPair] = field(default_factory=list)
    adapt_decoder: bool | None = None
    """The model request's choice (`corpus.json`'s "adapt_decoder"); None leaves it to the service."""

    def extend(self, other: RawCorpus) -> None:
        self.texts += other.texts
        self.phrases += other.phrases
        self.pairs += other.pairs
        if other.adapt_decoder is not None:
            self.adapt_decoder = other.adapt_decoder


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
    if Path(name).suffix.lower() == ".docx" or (data.startswith(_ZIP_MAGIC) and _is_word_document(data)):
        text = _docx_text(name, data)
    elif data.startswith(_ZIP_MAGIC) or Path(name).suffix.lower() == ".zip":
        return parse_archive(name, data)
    else:
        text = _text(data, name)
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
    phrases = _phrase_list(text)
    if phrases:
        return RawCorpus(phrases=phrases)
    return RawCorpus(texts=[text.strip()] if text.strip() else [])


_WORD_NS = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def _is_word_document(data: bytes) -> bool:
    try:
        return "word/document.xml" in zipfile.ZipFile(io.BytesIO(data)).namelist()
    except zipfile.BadZipFile:
        return False


def _docx_text(name: str, data: bytes) -> str:
    """The paragraphs of a Word document (.docx), one a line: transcripts are often kept in Word.
    Read with the standard library (the document is a ZIP of XML), so the training image needs
    no package for it; its size is capped like any other file's."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        member = archive.getinfo("word/document.xml")
        root = ElementTree.fromstring(_read(archive, member, name))
    except (KeyError, zipfile.BadZipFile, ElementTree.ParseError) as e:
        raise CorpusError(f"{name} is not a readable Word document ({e}); save it as plain text") from e
    paragraphs = []
    for paragraph in root.iter(f"{_WORD_NS}p"):
        pieces = []
        for node in paragraph.iter():
            if node.tag == f"{_WORD_NS}t":
                pieces.append(node.text or "")
            elif node.tag == f"{_WORD_NS}tab":
                pieces.append(" ")
            elif node.tag in (f"{_WORD_NS}br", f"{_WORD_NS}cr"):
                pieces.append("\n")
        paragraphs.append("".join(pieces))
    return "\n".join(paragraphs)


def _phrase_list(text: str) -> list[str]:
    """The phrases of a plain-text file that is a term list ("keywords.txt": one name or term a
    line, or one line of them separated by commas), else []. Customers upload their vocabulary
    that way as often as through the API's `phrases`; read as sentences, each term would be a
    sentence of context rather than a phrase the decoder is steered to."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if len(lines) == 1 and lines[0].count(",") >= 2:
        lines = [item.strip() for item in lines[0].split(",") if item.strip()]
    if len(lines) < 3:
        return []
    termlike = sum(
        1 for line in lines
        if len(line) <= MAX_PHRASE_CHARS and len(line.split()) <= MAX_PHRASE_WORDS and not _SENTENCE_END.search(line)
    )
    # Short unpunctuated utterances ("yes", "okay thanks") are not a list: a list's entries are
    # a word or three, and seldom repeat.
    short = sum(len(line.split()) for line in lines) <= 3 * len(lines)
    distinct = len({line.casefold() for line in lines}) >= 0.9 * len(lines)
    return lines if termlike >= 0.95 * len(lines) and short and distinct else []


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
    if isinstance(doc, list):  # several transcripts exported as one array
        corpus = RawCorpus()
        for item in doc:
            corpus.extend(_from_json(item, name) if isinstance(item, dict) else RawCorpus(texts=_strings([item], name)))
        return corpus
    if not isinstance(doc, dict):
        raise CorpusError(f'{name} must be a JSON object like {{"texts": [...], "phrases": [...]}}')
    if not ({"texts", "phrases", "adapt_decoder"} & doc.keys()):  # not Hark's own corpus document
        transcript = _exported_transcript(doc)
        if transcript is None:
            raise CorpusError(
                f'{name} must be a JSON object like {{"texts": [...], "phrases": [...]}}, or a transcript '
                "exported from Hark, AssemblyAI or Amazon Transcribe"
            )
        return RawCorpus(texts=[transcript] if transcript.strip() else [])
    adapt = doc.get("adapt_decoder")
    if adapt is not None and not isinstance(adapt, bool):
        raise CorpusError(f'{name}: "adapt_decoder" must be true or false')
    return RawCorpus(
        _strings(doc.get("texts", []), "texts"), _strings(doc.get("phrases", []), "phrases"), adapt_decoder=adapt
    )


def _exported_transcript(doc: dict[str, object]) -> str | None:
    """The words of a transcript as another service returns it: Hark's and AssemblyAI's
    `GET /v2/transcript/{id}` (its utterances one per line where it has them, else its text),
    or Amazon Transcribe's output (`results.transcripts[].transcript`). Customers moving from
    either have their history in these shapes."""
    utterances = doc.get("utterances")
    if isinstance(utterances, list) and utterances and all(isinstance(u, dict) for u in utterances):
        return "\n".join(str(u.get("text") or "") for u in utterances)
    if isinstance(doc.get("text"), str):
        return str(doc["text"])
    results = doc.get("results")
    if isinstance(results, dict) and isinstance(results.get("transcripts"), list):
        return "\n".join(str(t.get("transcript") or "") for t in results["transcripts"] if isinstance(t, dict))
    return None


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


def parse_archive(name: str, data: bytes) -> RawCorpus:
    """A ZIP of corpus files and (recording, reference) pairs. Members are read in memory,
    never extracted, so names like ``../x`` cannot write anywhere."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = [m for m in archive.infolist() if not m.is_dir() and not _hidden(m.filename)]
    except zipfile.BadZipFile as e:
        raise CorpusError(f"{name} is not a valid ZIP archive: {e}") from e
    if len(members) > MAX_ARCHIVE_MEMBERS:
        raise CorpusError(f"{name} holds {len(members)} files; the limit is {MAX_ARCHIVE_MEMBERS}")
    if sum(m.file_size for m in members) > MAX_CORPUS_BYTES:
        raise CorpusError(f"{name} unpacks to more than {MAX_CORPUS_BYTES // 1_000_000} MB")
    by_stem = {str(PurePosixPath(m.filename).with_suffix("")): m for m in members if _is_audio(m.filename)}
    corpus = RawCorpus()
    references: dict[str, str] = {}
    for member in members:
        path = PurePosixPath(member.filename)
        if _is_audio(member.filename):
            continue
        if path.suffix.lower() == ".zip":
            raise CorpusError(f"{name}: {member.filename} is an archive inside the archive; upload one ZIP")
        body = _read(archive, member, name)
        stem = str(path.with_suffix(""))
        if path.suffix.lower() == ".txt" and stem in by_stem:
            references[stem] = _text(body, f"{name}: {member.filename}")
            continue
        corpus.extend(parse_file(f"{name}: {member.filename}", body))
    for stem, member in sorted(by_stem.items()):
        reference = " ".join(references.get(stem, "").split())
        if not reference:
            raise CorpusError(f"{name}: {member.filename} has no reference transcript; add {stem}.txt beside it")
        corpus.pairs.append(EvaluationPair(member.filename, _read(archive, member, name), reference))
    return corpus


def _read(archive: zipfile.ZipFile, member: zipfile.ZipInfo, name: str) -> bytes:
    try:
        with archive.open(member) as stream:
            # The declared size is the archive's claim; never read more than the cap.
            body = stream.read(MAX_CORPUS_BYTES + 1)
    except (zipfile.BadZipFile, NotImplementedError, RuntimeError) as e:  # damaged, unknown method, encrypted
        raise CorpusError(f"{name}: {member.filename} cannot be read: {e}") from e
    if len(body) > MAX_CORPUS_BYTES:
        raise CorpusError(f"{name} unpacks to more than {MAX_CORPUS_BYTES // 1_000_000} MB")
    return body


def _text(data: bytes, name: str) -> str:
    try:
        return decode_text(data, name)
    except TextDecodeError as e:
        raise CorpusError(f"{e}; upload text (UTF-8 or UTF-16), JSON, JSON lines or CSV") from None


def _is_audio(filename: str) -> bool:
    return PurePosixPath(filename).suffix.lower() in AUDIO_SUFFIXES


def _hidden(filename: str) -> bool:
    # macOS's Finder adds __MACOSX/ and ._ files to every ZIP it makes.
    parts = [p for p in PurePosixPath(filename).parts if p not in (".", "..")]
    return any(part.startswith((".", "__MACOSX")) for part in parts)
