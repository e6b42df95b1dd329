"""The few API calls the CLI makes, over httpx; every failure becomes a `CliError` with one
line a person can act on."""
from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx

CHUNK = 256 * 1024


class CliError(Exception):
    """A failure to report as one line (never a traceback) with a non-zero exit."""


class HarkClient:
    def __init__(self, api_url: str, key: str, timeout_s: float = 120) -> None:
        self.api_url = api_url.rstrip("/")
        self._http = httpx.Client(base_url=self.api_url, headers={"authorization": key}, timeout=timeout_s)

    def __enter__(self) -> "HarkClient":
        return self

    def __exit__(self, *exc: object) -> None:
        self._http.close()

    def upload(self, path: Path, progress: Callable[[int], None] = lambda n: None) -> str:
        def chunks() -> Iterator[bytes]:
            with open(path, "rb") as f:
                while chunk := f.read(CHUNK):
                    progress(len(chunk))
                    yield chunk

        headers = {"content-length": str(path.stat().st_size)}
        return str(self._call("POST", "/v2/upload", content=chunks(), headers=headers)["upload_url"])

    def submit(self, audio_url: str, **options: Any) -> dict[str, Any]:
        return self._call("POST", "/v2/transcript", json={"audio_url": audio_url, **options})

    def transcript(self, transcript_id: str) -> dict[str, Any]:
        return self._call("GET", f"/v2/transcript/{transcript_id}")

    def subtitles(self, transcript_id: str, fmt: str) -> str:
        return self._text("GET", f"/v2/transcript/{transcript_id}/{fmt}")

    def create_model(self, body: dict[str, Any]) -> dict[str, Any]:
        return self._call("POST", "/v2/model", json=body)

    def model(self, model_id: str) -> dict[str, Any]:
        return self._call("GET", f"/v2/model/{model_id}")

    def models(self, limit: int = 200) -> list[dict[str, Any]]:
        return list(self._call("GET", "/v2/model", params={"limit": limit})["models"])

    def delete_model(self, model_id: str) -> dict[str, Any]:
        return self._call("DELETE", f"/v2/model/{model_id}")

    def _call(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        response = self._send(method, path, **kwargs)
        try:
            return dict(response.json())
        except (json.JSONDecodeError, TypeError, ValueError) as e:
            raise CliError(f"{self.api_url} did not answer with JSON (is it a Hark API?)") from e

    def _text(self, method: str, path: str) -> str:
        return self._send(method, path).text

    def _send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            response = self._http.request(method, path, **kwargs)
        except httpx.TransportError as e:
            raise CliError(f"cannot reach Hark at {self.api_url} ({e}); is `make serve` running, or --api-url right?") from e
        if response.status_code >= 400:
            raise CliError(_error_message(response))
        return response


def _error_message(response: httpx.Response) -> str:
    try:
        error = response.json().get("error")
    except (json.JSONDecodeError, ValueError, AttributeError):
        error = None
    if isinstance(error, dict):
        error = error.get("message")
    if response.status_code == 401:
        return f"the API key was refused ({error or 'unauthorized'}); set HARK_API_KEY or --api-key"
    return f"HTTP {response.status_code}: {error or response.text[:200] or response.reason_phrase}"
