"""Hark's API and event handlers. Handlers only authenticate, parse, call one service
function and shape the answer; everything else lives in chalicelib/."""
from __future__ import annotations

from typing import Any, Callable

from aws_lambda_powertools.utilities.parser import envelopes, parse
from chalice import Chalice, Response
from chalice.app import SQSEvent

from chalicelib import wiring
from chalicelib.api import presenters
from chalicelib.api.http import base_url, handled, json_response, parse_body, parse_query, reshape_chalice_errors
from chalicelib.api.models import ListParams, TranscriptRequest, UploadOut
from chalicelib.config import queue_name
from chalicelib.orchestration.messages import AsyncNotification, DispatchMessage

app = Chalice(app_name="hark")
# Audio arrives with any content type, or none (the official SDK sends none), so every
# body is passed through as bytes and parsed by the handler.
app.api.binary_types.append("*/*")
ANY = ["*/*"]


@app.middleware("http")
def error_shape(event: Any, get_response: Callable[[Any], Response]) -> Response:
    return reshape_chalice_errors(get_response(event))


def route(path: str, methods: list[str], **kwargs: Any) -> Callable[[Callable[..., Response]], Any]:
    """A route with Hark's error handling, registered under /v2 and the seed-era alias."""

    def register(view: Callable[..., Response]) -> Any:
        safe = handled(view)
        app.route(f"/v2{path}", methods=methods, name=f"{view.__name__}_v2", content_types=ANY, **kwargs)(safe)
        return app.route(path, methods=methods, name=view.__name__, content_types=ANY, **kwargs)(safe)

    return register


def tenant() -> str:
    return wiring.keys().authenticate(app.current_request.headers.get("authorization"))


def here() -> str:
    request = app.current_request
    return base_url(request.headers, request.context.get("stage"))


@route("/upload", methods=["POST"])
def upload() -> Response:
    owner = tenant()
    return json_response(UploadOut(upload_url=wiring.transcripts().upload(owner, app.current_request.raw_body, here())))


@route("/transcript", methods=["POST"])
def submit_transcript() -> Response:
    owner = tenant()
    request = parse_body(app.current_request.raw_body, TranscriptRequest, TranscriptRequest.parse)
    record = wiring.transcripts().submit(owner, request)
    return json_response(presenters.transcript(wiring.transcripts().get(owner, record.transcript_id)))


@route("/transcript", methods=["GET"])
def list_transcripts() -> Response:
    owner = tenant()
    params = parse_query(app.current_request.query_params, ListParams)
    return json_response(presenters.transcript_list(wiring.transcripts().list(owner, params), params, here()))


@route("/transcript/{transcript_id}", methods=["GET"])
def get_transcript(transcript_id: str) -> Response:
    return json_response(presenters.transcript(wiring.transcripts().get(tenant(), transcript_id)))


@route("/transcript/{transcript_id}", methods=["DELETE"])
def delete_transcript(transcript_id: str) -> Response:
    return json_response(presenters.transcript(wiring.transcripts().delete(tenant(), transcript_id)))


@app.on_sqs_message(queue=queue_name("HARK_DISPATCH_QUEUE"), batch_size=1)
def dispatch_transcript(event: SQSEvent) -> None:
    for message in parse(event=event.to_dict(), model=DispatchMessage, envelope=envelopes.SqsEnvelope):
        wiring.transcript_jobs().dispatch(message)


@app.on_sqs_message(queue=queue_name("HARK_INFERENCE_RESULTS_QUEUE"), batch_size=1)
def inference_result(event: SQSEvent) -> None:
    for notification in parse(event=event.to_dict(), model=AsyncNotification, envelope=envelopes.SnsSqsEnvelope):
        wiring.transcript_jobs().complete(notification)
