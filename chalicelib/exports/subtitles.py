"""SRT and WebVTT captions, as AssemblyAI's /srt and /vtt return them.

Captions follow the sentences (a caption never spans a sentence end or a long pause) and
hold as many whole words as fit in `chars_per_caption`; a word longer than that is a
caption of its own. Times come from the words, adjusted only so that captions never overlap.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal, Optional

from chalicelib.exports.segments import sentences
from chalicelib.exports.words import Segment
from hark_core.inference import Word

SubtitleFormat = Literal["srt", "vtt"]
DEFAULT_CHARS_PER_CAPTION = 80
"""When none is asked for: about what AssemblyAI's own captions hold, a subtitle line or two."""
MIN_CAPTION_MS = 300


@dataclass(frozen=True)
class Caption:
    start: int
    end: int
    text: str


def captions(words: Sequence[Word], chars_per_caption: Optional[int] = None) -> list[Caption]:
    limit = chars_per_caption or DEFAULT_CHARS_PER_CAPTION
    pieces = [piece for sentence in sentences(words) for piece in _fit(sentence, limit)]
    return _without_overlaps(pieces)


def _fit(sentence: Segment, limit: int) -> list[Segment]:
    pieces: list[list[Word]] = []
    length = 0
    for word in sentence.words:
        if pieces and length + 1 + len(word.text) <= limit:
            pieces[-1].append(word)
            length += 1 + len(word.text)
        else:  # a new caption, even for a word that alone is longer than the limit
            pieces.append([word])
            length = len(word.text)
    return [Segment(tuple(piece)) for piece in pieces]


def _without_overlaps(pieces: Sequence[Segment]) -> list[Caption]:
    """Word times can touch or, after a respelling, cross by a few ms; a player shows two
    overlapping captions at once, so each caption starts no earlier than the previous one
    and ends no later than the next one starts. Whisper also gives some words no duration:
    such a caption is held for `MIN_CAPTION_MS` where the next one leaves room, so that it
    is shown at all."""
    starts: list[int] = []
    for piece in pieces:
        starts.append(max(piece.start, starts[-1]) if starts else max(piece.start, 0))
    out = []
    for i, piece in enumerate(pieces):
        end = max(piece.end, starts[i] + MIN_CAPTION_MS)
        if i + 1 < len(pieces):
            end = min(end, starts[i + 1])
        out.append(Caption(starts[i], end, piece.text))
    return out


def srt(items: Sequence[Caption]) -> str:
    return "".join(
        f"{n}\n{_time(c.start, ',')} --> {_time(c.end, ',')}\n{c.text}\n\n" for n, c in enumerate(items, start=1)
    )


def vtt(items: Sequence[Caption]) -> str:
    cues = (f"{_time(c.start, '.')} --> {_time(c.end, '.')}\n{_cue_text(c.text)}\n\n" for c in items)
    return "WEBVTT\n\n" + "".join(cues)


def _cue_text(text: str) -> str:
    """WebVTT cue text is markup: a bare "<" or "&" (as in "AT&T") would be read as a tag or entity."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


RENDERERS: dict[SubtitleFormat, Callable[[Sequence[Caption]], str]] = {"srt": srt, "vtt": vtt}


def render(subtitle_format: SubtitleFormat, words: Sequence[Word], chars_per_caption: Optional[int] = None) -> str:
    return RENDERERS[subtitle_format](captions(words, chars_per_caption))


def _time(ms: int, decimal_mark: str) -> str:
    """HH:MM:SS,mmm (SubRip) or HH:MM:SS.mmm (WebVTT)."""
    hours, rest = divmod(ms, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    seconds, millis = divmod(rest, 1000)
    return f"{hours:02}:{minutes:02}:{seconds:02}{decimal_mark}{millis:03}"
