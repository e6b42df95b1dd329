"""Customer text as it really arrives: any common encoding, and transcripts with markup.

Historical transcripts come out of call recorders, EHRs and caption tools: UTF-8 with or without
a byte-order mark, UTF-16 from Windows tools, speaker labels ("Agent:", "D:", "[Caller]") or
headings ("Speaker 1  0:03"), timestamps ("[00:01:23]", SRT/WebVTT cue lines), CSV rows
("00:00:01,Agent,Thank you") and annotations ("[inaudible]", "(laughs)").
The model should learn the words people said, not the markup, so `clean_transcript` strips it.
"""

from __future__ import annotations

import codecs
import re

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


class TextDecodeError(ValueError):
    """Bytes that are not text in an encoding Hark reads; the message says why (callers turn it
    into their own error, `CorpusError`)."""


def decode_text(data: bytes, what: str) -> str:
    """UTF-8 (BOM or not), UTF-16 or UTF-32 (by BOM, or UTF-16 without one, recognised by its
    zero bytes) to str. Anything else is refused, naming the encoding to save as."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return _decode(data[len(bom) :], encoding, what)
    encoding = _bomless_utf16(data)
    if encoding:
        return _decode(data, encoding, what)
    if b"\x00" in data:
        raise TextDecodeError(f"{what} looks like a binary file, not text")
    return _decode(data, "utf-8", what)


def _bomless_utf16(data: bytes) -> str | None:
    # ASCII-range text in UTF-16 has a zero in every other byte; binary data does not.
    sample = data[:4096]
    if len(sample) < 4 or len(sample) % 2:
        return None
    even, odd = sample[0::2], sample[1::2]
    if odd.count(0) > 0.7 * len(odd) and even.count(0) < 0.1 * len(even):
        return "utf-16-le"
    if even.count(0) > 0.7 * len(even) and odd.count(0) < 0.1 * len(odd):
        return "utf-16-be"
    return None


def _decode(data: bytes, encoding: str, what: str) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as error:
        raise TextDecodeError(
            f"{what} is not valid {encoding.upper()} text (byte {error.start}); save it as UTF-8"
        ) from None


# A cue line of SRT or WebVTT ("00:00:01,000 --> 00:00:04,000"), its number, or the header.
_CUE = re.compile(r"^\s*(?:WEBVTT\b.*|NOTE\b.*|\d+|[\d:.,]+\s*-->\s*[\d:.,]+.*)\s*$")
# A timestamp: in brackets, opening a line, or with seconds. "See you at 5:30" is a time said.
_CLOCK = r"\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d{1,3})?"
_TIMESTAMP = re.compile(rf"[\[(<]\s*{_CLOCK}\s*[\])>]|^\s*{_CLOCK}\b|\b\d{{1,2}}:\d{{2}}:\d{{2}}(?:[.,]\d{{1,3}})?\b")
_TIME = r"[\[(]?\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d{1,3})?[\])]?"
# A speaker's heading over their turn, alone on its line: "Speaker 1  0:03" (Otter), "John Smith
# 1:02:11". Taken for one only when the document has several (see `clean_transcript`).
_HEADING = re.compile(rf"^\s*([A-Z][\w.'’-]*(?: [\w.'’-]+){{0,2}})\s+{_TIME}\s*$")
# A row of a CSV or TSV export from a call recorder: "00:00:01,Agent,Thank you for calling".
_ROW = re.compile(rf"^\s*{_TIME}\s*[,;|\t]\s*(?:[A-Z][\w.'’-]*(?: [\w.'’-]+){{0,2}}\s*[,;|\t]\s*)?")
# "[inaudible]", "(laughs)", "<crosstalk>", "{noise}": annotations, not speech.
_ANNOTATION = re.compile(r"\[[^\]\n]{0,40}\]|\((?:[a-z ]{2,30})\)|<[^>\n]{0,30}>|\{[^}\n]{0,30}\}", re.IGNORECASE)
# A speaker label at the start of a line: "Agent:", "D:", "SPEAKER 1:", "Dr. Smith:".
# A line that was only a label and an annotation ("Patient: <UNIN/>") is left as the label alone.
_SPEAKER = re.compile(r"^([A-Z][\w.'’-]*(?: [\w.'’-]+){0,2})\s*:(?:\s+|$)")
# What a removed annotation leaves behind: "I'd like [inaudible], to" -> "I'd like , to".
_SPACE_BEFORE_MARK = re.compile(r"\s+(?=[,.;:!?](?:\s|$))")
_REPEATED_MARK = re.compile(r"([,;:])(?:\s*[,;:])+")
# A sentence end with its space lost ("OK.Um, so", "No.They"): a word of two letters or more,
# the mark, then a capitalised word. "Node.js", "U.S." and "ASP.NET" do not match.
_GLUED_SENTENCE = re.compile(r"(?<=[A-Za-z]{2}[.!?])(?=[A-Z][a-z])")


def clean_transcript(text: str) -> str:
    """The spoken words of a transcript: cue lines, timestamps, speaker labels and headings, the
    time and speaker columns of a CSV or TSV export, and annotations removed (with the stray
    commas they leave), a sentence end that lost its space given one back, line by line. Plain prose passes through unchanged: a "Label:" opening a line is
    taken for a speaker only when the same label opens another line too, or when labels open
    many of the lines, so a lone "Note: ..." in prose stays."""
    raw_lines = text.splitlines()
    headings = sum(1 for line in raw_lines if _HEADING.match(line))
    lines = []
    for line in raw_lines:
        if _CUE.match(line) or (headings >= 2 and _HEADING.match(line)):
            continue
        if row := _ROW.match(line):
            line = line[row.end() :].strip().strip('"').replace('""', '"')
        line = _ANNOTATION.sub(" ", _TIMESTAMP.sub(" ", line))
        line = _GLUED_SENTENCE.sub(" ", line)
        # The decoder continues its prompt's punctuation: marks are kept where a writer puts them.
        line = _REPEATED_MARK.sub(r"\1", _SPACE_BEFORE_MARK.sub("", " ".join(line.split())))
        if line:
            lines.append(line)
    labels = [match.group(1) if (match := _SPEAKER.match(line)) else None for line in lines]
    counts: dict[str, int] = {}
    for label in labels:
        if label:
            counts[label] = counts.get(label, 0) + 1
    # A transcript with labels on many of its lines labels every line it can.
    labelled_document = sum(counts.values()) >= max(2, 0.3 * len(lines))
    out = []
    for line, label in zip(lines, labels):
        if label and (counts[label] >= 2 or labelled_document):
            line = _SPEAKER.sub("", line, count=1)
        if line:
            out.append(line)
    return "\n".join(out)
