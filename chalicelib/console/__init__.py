"""The web console: a single page and its static files, served by the API itself so that it
needs no web server or build step of its own. Files are read from ``static/`` on first
request (nothing is read at import) and kept for the life of the Lambda."""
from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

from hark_core.errors import NotFound

STATIC = Path(__file__).parent / "static"
PAGE = "index.html"
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    # Browsers refuse to run a module script served with any other type.
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
}
# The page handles an API key, so it may talk only to its own origin and run only its own
# files: no inline script, nothing from elsewhere. Audio plays from the local file (blob:).
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; connect-src 'self'; "
        "media-src 'self' blob:; img-src 'self' data:; object-src 'none'; base-uri 'none'; "
        "form-action 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    # Always revalidate, so a deployment's new files are never mixed with an old page's.
    "Cache-Control": "no-cache",
}


@dataclass(frozen=True)
class Asset:
    body: bytes
    content_type: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Content-Type": self.content_type, **SECURITY_HEADERS}


@functools.cache
def asset(name: str = PAGE) -> Asset:
    """One of the console's files by its bare name; anything else (sub-paths, other types)
    is a 404, so a request can never reach outside ``static/``."""
    path = STATIC / name
    content_type = CONTENT_TYPES.get(path.suffix)
    if "/" in name or "\\" in name or name.startswith(".") or content_type is None or not path.is_file():
        raise NotFound(f"the console has no file {name!r}")
    return Asset(path.read_bytes(), content_type)
