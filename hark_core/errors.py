"""Hark's one error hierarchy. Each error carries the HTTP status it maps to, and its
message is written for the API's user: it is returned verbatim as ``{"error": message}``.

    HarkError
    ├── BadRequest (400)
    │   ├── InvalidAudioUrl
    │   ├── InvalidWebhookUrl
    │   └── UnsupportedFeature
    ├── Unauthorized (401)
    ├── NotFound (404)
    ├── Conflict (409)
    ├── PayloadTooLarge (413)
    ├── UnsupportedMediaType (415)
    ├── ServiceUnavailable (503)      an AWS dependency failed; safe to retry
    └── StillProcessing (504)         a synchronous request outwaited its deadline
"""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pydantic import ValidationError


class HarkError(Exception):
    status_code = 500

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class BadRequest(HarkError):
    status_code = 400


class InvalidAudioUrl(BadRequest):
    pass


class InvalidWebhookUrl(BadRequest):
    pass


class UnsupportedFeature(BadRequest):
    pass


class Unauthorized(HarkError):
    status_code = 401


class NotFound(HarkError):
    status_code = 404


class Conflict(HarkError):
    status_code = 409


class PayloadTooLarge(HarkError):
    status_code = 413


class UnsupportedMediaType(HarkError):
    status_code = 415


class TooManyRequests(HarkError):
    """429, with the seconds after which a retry will be accepted (sent as Retry-After)."""

    status_code = 429

    def __init__(self, message: str, retry_after_s: int) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s

    @property
    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after_s)}


class ServiceUnavailable(HarkError):
    status_code = 503


class StillProcessing(HarkError):
    status_code = 504


def describe(error: "ValidationError") -> str:
    """A pydantic validation error in words, one part per problem, e.g. "speaker_count: Extra
    inputs are not permitted"; the message every process gives for a body it refuses."""
    parts = []
    for item in error.errors(include_url=False):
        where = ".".join(str(p) for p in item["loc"]) or "body"
        message = item["msg"].removeprefix("Value error, ")
        parts.append(f"{where}: {message}")
    return "; ".join(parts)
