"""The sagemaker-runtime InvokeEndpointAsync REST operation, served over HTTP as botocore calls it.

Wire format (botocore's `sagemaker-runtime` 2017-05-13 model, rest-json):
POST /endpoints/{EndpointName}/async-invocations with the parameters in `X-Amzn-SageMaker-*`
headers; the answer is 202 with `{"InferenceId": ...}` and the S3 locations in the
`X-Amzn-SageMaker-OutputLocation` / `-FailureLocation` headers. Errors carry their code in
`x-amzn-ErrorType` and `{"message": ...}` in the body, which is what botocore turns into a
ClientError. Request signatures are not checked: this only ever listens on loopback.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote, urlsplit

log = logging.getLogger(__name__)

_PATH = re.compile(r"^/endpoints/(?P<name>[^/]+)/async-invocations$")


@dataclass(frozen=True)
class InvokeEndpointAsyncRequest:
    endpoint_name: str
    input_location: str | None
    content_type: str | None
    accept: str | None
    custom_attributes: str | None
    inference_id: str | None
    request_ttl_seconds: int | None
    invocation_timeout_seconds: int | None
    # Parameters botocore can send that the local runner does not emulate; it refuses them.
    has_inline_body: bool
    s3_output_path_extension: str | None
    filename: str | None


@dataclass(frozen=True)
class InvokeEndpointAsyncResult:
    inference_id: str
    output_location: str
    failure_location: str | None


class ValidationError(Exception):
    """The request is invalid; sent back as SageMaker's `ValidationError` (HTTP 400)."""


InvocationHandler = Callable[[InvokeEndpointAsyncRequest], InvokeEndpointAsyncResult]


def _int_header(value: str | None, name: str) -> int | None:
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:
        raise ValidationError(f"{name} must be an integer, got {value!r}") from None


def _parse_request(
    endpoint_name: str, headers: dict[str, str], body: bytes
) -> InvokeEndpointAsyncRequest:
    return InvokeEndpointAsyncRequest(
        endpoint_name=endpoint_name,
        input_location=headers.get("x-amzn-sagemaker-inputlocation"),
        content_type=headers.get("x-amzn-sagemaker-content-type"),
        accept=headers.get("x-amzn-sagemaker-accept"),
        custom_attributes=headers.get("x-amzn-sagemaker-custom-attributes"),
        inference_id=headers.get("x-amzn-sagemaker-inference-id"),
        request_ttl_seconds=_int_header(
            headers.get("x-amzn-sagemaker-requestttlseconds"), "RequestTTLSeconds"
        ),
        invocation_timeout_seconds=_int_header(
            headers.get("x-amzn-sagemaker-invocationtimeoutseconds"), "InvocationTimeoutSeconds"
        ),
        has_inline_body=bool(body),
        s3_output_path_extension=headers.get("x-amzn-sagemaker-s3outputpathextension"),
        filename=headers.get("x-amzn-sagemaker-filename"),
    )


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        match = _PATH.match(urlsplit(self.path).path)
        if match is None:
            self._send_error(404, "UnknownOperationException", f"no operation at {self.path}")
            return
        headers = {key.lower(): value for key, value in self.headers.items()}
        try:
            request = _parse_request(unquote(match["name"]), headers, body)
            result = self.server.handle_invocation(request)
        except ValidationError as exc:
            self._send_error(400, "ValidationError", str(exc))
            return
        except Exception:
            log.exception("InvokeEndpointAsync failed")
            self._send_error(500, "InternalFailure", "the local SageMaker runner failed")
            return
        extra = {"X-Amzn-SageMaker-OutputLocation": result.output_location}
        if result.failure_location:
            extra["X-Amzn-SageMaker-FailureLocation"] = result.failure_location
        self._send_json(202, {"InferenceId": result.inference_id}, extra)

    def _send_error(self, status: int, code: str, message: str) -> None:
        self._send_json(status, {"message": message}, {"x-amzn-ErrorType": code})

    def _send_json(self, status: int, payload: object, extra_headers: dict[str, str]) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("x-amzn-RequestId", str(uuid.uuid4()))
        for name, value in extra_headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:
        log.debug("%s - %s", self.address_string(), format % args)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], handle_invocation: InvocationHandler) -> None:
        super().__init__(address, _Handler)
        self.handle_invocation = handle_invocation


class RuntimeApiServer:
    """A threaded HTTP server answering InvokeEndpointAsync via `handle_invocation`."""

    def __init__(self, handle_invocation: InvocationHandler, host: str, port: int) -> None:
        self._server = _Server((host, port), handle_invocation)
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="sagemaker-runtime-api", daemon=True
        )

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()
