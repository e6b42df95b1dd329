"""Validation errors in words: shared by the API, which speaks HTTP through Chalice, and by the
streaming service, which must not import Chalice (its image does not install it)."""
from __future__ import annotations

from pydantic import ValidationError


def describe(error: ValidationError) -> str:
    """One readable line per problem, e.g. "speaker_count: Extra inputs are not permitted"."""
    parts = []
    for item in error.errors(include_url=False):
        where = ".".join(str(p) for p in item["loc"]) or "body"
        message = item["msg"].removeprefix("Value error, ")
        parts.append(f"{where}: {message}")
    return "; ".join(parts)
