"""Transcript words made from compact specs, for the export tests."""
from __future__ import annotations

from collections.abc import Callable

import pytest

from hark_core.inference import Word


def make_words(text: str, start: int = 0, step: int = 300, gaps: dict[int, int] | None = None) -> list[Word]:
    """The words of `text`, each `step` ms long, back to back, with `gaps[i]` ms of silence
    before word i."""
    words = []
    t = start
    for i, token in enumerate(text.split()):
        t += (gaps or {}).get(i, 0)
        words.append(Word(token, t, t + step, 0.9))
        t += step
    return words


@pytest.fixture()
def words() -> Callable[..., list[Word]]:
    return make_words
