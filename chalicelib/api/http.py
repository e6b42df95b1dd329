"""HTTP plumbing shared by all routes: body parsing, validation messages, responses, and
the one place where errors become HTTP responses."""
from __future__ import annotations

import functools
import json
import logging
from typing import Any, Callable, Mapping, Optional, TypeVar

from chalice import Response
from pydantic import BaseModel, ValidationError

from hark_core.errors import BadRequest, HarkError, PayloadTooLarge, describe

log = logging.getLogger(__name__)
M = TypeVar("M", bound=BaseModel)
MAX_JSON_BODY = 1_000_000


def json_response(body: BaseModel | dict[str, Any], status: int = 200) -> Response:
    payload = body.model_dump(mode="json") if isinstance(body, BaseModel) else body
    return Response(body=payload, status_code=status, headers={"Content-Type": "application/json"})


def text_response(body: str) -> Response:
    """A plain-text body (captions): AssemblyAI serves SRT and VTT as text/plain. Sent as
    bytes: the app declares every content type binary (uploads come with any), and Chalice
    base64-encodes a binary response's body for API Gateway only from bytes."""
    return Response(body=body.encode("utf-8"), status_code=200, headers={"Content-Type": "text/plain; charset=utf-8"})


def error_response(status: int, message: str) -> Response:
    return Response(body={"error": message}, status_code=status, headers={"Content-Type": "application/json"})


def parse_body(
    raw: Optional[bytes],
    model: type[M],
    parser: Optional[Callable[[dict[str, Any]], M]] = None,
    max_bytes: int = MAX_JSON_BODY,
) -> M:
    if raw is not None and len(raw) > max_bytes:
        raise PayloadTooLarge(f"the JSON body is larger than {max_bytes} bytes")
    try:
        data = json.loads(raw or b"")
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise BadRequest(f"the request body is not valid JSON: {e}") from e
    if not isinstance(data, dict):
        raise BadRequest("the request body must be a JSON object")
    return validate(parser or model.model_validate, data)


def parse_query(params: Optional[Mapping[str, str]], model: type[M]) -> M:
    return validate(model.model_validate, dict(params or {}))


def validate(parse: Callable[[dict[str, Any]], M], data: dict[str, Any]) -> M:
    try:
        return parse(data)
    except ValidationError as e:
        raise BadRequest(describe(e)) from e


def handled(
    view: Callable[..., Response], error_body: Callable[[int, str], dict[str, Any]] | None = None
) -> Callable[..., Response]:
    """Maps Hark's errors to their status, and anything unexpected to a 500 without details.
    ``error_body`` shapes the error (Hark's ``{"error": message}`` unless given)."""

    def respond(status: int, message: str) -> Response:
        if error_body is None:
            return error_response(status, message)
        return Response(body=error_body(status, message), status_code=status, headers={"Content-Type": "application/json"})

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Response:
        try:
            return view(*args, **kwargs)
        except HarkError as e:
            if e.status_code >= 500:
                log.exception("request failed")
            response = respond(e.status_code, e.message)
            response.headers.update(getattr(e, "headers", {}))  # e.g. Retry-After on a 429
            return response
        except Exception:
            log.exception("unexpected error")
            return respond(500, "internal server error")

    return wrapper


def reshape_chalice_errors(response: Response) -> Response:
    """Chalice answers some errors itself as {"Code", "Message"}; give them Hark's shape."""
    body = response.body
    if response.status_code >= 400 and isinstance(body, dict) and "Message" in body:
        return error_response(response.status_code, str(body["Message"]))
    return response


def base_url(headers: Mapping[str, str], stage: Optional[str]) -> str:
    """The public address of this API, for URLs in responses. API Gateway's own domain
    carries the stage in the path; a custom domain or the local server does not."""
    host = headers.get("host", "localhost")
    scheme = headers.get("x-forwarded-proto", "https" if "amazonaws.com" in host else "http")
    prefix = f"/{stage}" if stage and host.endswith("amazonaws.com") else ""
    return f"{scheme}://{host}{prefix}"
