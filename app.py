"""Hark's API and event handlers. Handlers only authenticate, parse, call one service
function and shape the answer; everything else lives in chalicelib/."""
from __future__ import annotations

import functools
from typing import Any, Callable

from chalice import Chalice, Response
from chalice.app import SQSEvent

from chalicelib import console, observability, wiring
from chalicelib.api import openai, openapi, presenters
from chalicelib.api.http import (
    base_url,
    handled,
    json_response,
    parse_body,
    parse_query,
    reshape_chalice_errors,
    text_response,
)
from chalicelib.api.models import (
    AccountOut,
    CorpusUploadOut,
    RedactedAudioOut,
    SubtitleParams,
    SyncParams,
    TokenOut,
    TokenParams,
    UploadOut,
    WordSearchParams,
)
from chalicelib.api.multipart import parse_form
from chalicelib.config import queue_name
from chalicelib.exports.subtitles import SubtitleFormat
from chalicelib.services import events
from chalicelib.services.custom_models import UPLOAD_URL_SECONDS
from chalicelib.services.requests import ListParams, ModelListParams, ModelRequest, TranscriptRequest
from chalicelib.services.transcripts import TranscriptView

app = Chalice(app_name="hark")
# Audio arrives with any content type, or none (the official SDK sends none), so every
# body is passed through as bytes and parsed by the handler.
app.api.binary_types.append("*/*")
ANY = ["*/*"]
# Inline texts go through API Gateway (10 MB); bigger corpora use POST /v2/model/{id}/corpus.
MAX_MODEL_BODY = 5_000_000
SYNC_MAX_AUDIO_S = 30.0


@app.middleware("all")
def observed(event: Any, get_response: Callable[[Any], Any]) -> Any:
    # Event handlers get a Chalice event with the Lambda context as `.context`; routes a
    # Request with it as `.lambda_context` (None under the local server).
    context = getattr(event, "context", None) or getattr(event, "lambda_context", None)
    with observability.invocation(type(event).__name__, context):
        return get_response(event)


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
    owner = wiring.keys().authenticate(app.current_request.headers.get("authorization"))
    observability.bind(tenant_id=owner)
    limiter = wiring.rate_limiter()
    if limiter is not None:
        limiter.check(owner)  # 429 with Retry-After beyond the tenant's request rate
    return owner


def here() -> str:
    request = app.current_request
    return base_url(request.headers, request.context.get("stage"))


@route("/openapi.json", methods=["GET"])
def openapi_document() -> Response:
    """Public, like the API's own docs: it describes the API, not any account's data."""
    return Response(body=openapi.document(here()), status_code=200, headers={"Content-Type": "application/json"})


@route("/upload", methods=["POST"])
def upload() -> Response:
    owner = tenant()
    return json_response(UploadOut(upload_url=wiring.transcripts().upload(owner, app.current_request.raw_body, here())))


@route("/transcript", methods=["POST"])
def submit_transcript() -> Response:
    owner = tenant()
    request = parse_body(app.current_request.raw_body, TranscriptRequest, TranscriptRequest.parse)
    # The job as it was created ("queued", as AssemblyAI answers), not re-read: a fast
    # worker may already have moved it on.
    return json_response(presenters.transcript(TranscriptView(wiring.transcripts().submit(owner, request), None)))


@route("/transcript", methods=["GET"])
def list_transcripts() -> Response:
    owner = tenant()
    params = parse_query(app.current_request.query_params, ListParams)
    return json_response(presenters.transcript_list(wiring.transcripts().list(owner, params), params, here()))


@route("/transcript/{transcript_id}", methods=["GET"])
def get_transcript(transcript_id: str) -> Response:
    owner = tenant()
    out = presenters.transcript(wiring.transcripts().get(owner, transcript_id))
    if out.status == "queued":
        out.queue_position = wiring.transcript_jobs().queue_position(owner, transcript_id)
    return json_response(out)


@route("/transcript/{transcript_id}", methods=["DELETE"])
def delete_transcript(transcript_id: str) -> Response:
    return json_response(presenters.transcript(wiring.transcripts().delete(tenant(), transcript_id)))


@route("/transcript/{transcript_id}/redacted-audio", methods=["GET"])
def get_redacted_audio(transcript_id: str) -> Response:
    url = wiring.transcripts().redacted_audio_url(tenant(), transcript_id)
    return json_response(RedactedAudioOut(redacted_audio_url=url))


@route("/transcript/{transcript_id}/sentences", methods=["GET"])
def get_sentences(transcript_id: str) -> Response:
    return json_response(presenters.sentences(wiring.transcripts().exportable(tenant(), transcript_id)))


@route("/transcript/{transcript_id}/paragraphs", methods=["GET"])
def get_paragraphs(transcript_id: str) -> Response:
    return json_response(presenters.paragraphs(wiring.transcripts().exportable(tenant(), transcript_id)))


@route("/transcript/{transcript_id}/srt", methods=["GET"])
def get_srt(transcript_id: str) -> Response:
    return subtitles(transcript_id, "srt")


@route("/transcript/{transcript_id}/vtt", methods=["GET"])
def get_vtt(transcript_id: str) -> Response:
    return subtitles(transcript_id, "vtt")


def subtitles(transcript_id: str, subtitle_format: SubtitleFormat) -> Response:
    owner = tenant()
    params = parse_query(app.current_request.query_params, SubtitleParams)
    view = wiring.transcripts().exportable(owner, transcript_id)
    return text_response(presenters.subtitle_text(view, subtitle_format, params.chars_per_caption))


@route("/transcript/{transcript_id}/word-search", methods=["GET"])
def word_search(transcript_id: str) -> Response:
    owner = tenant()
    params = parse_query(app.current_request.query_params, WordSearchParams)
    return json_response(presenters.word_search(wiring.transcripts().exportable(owner, transcript_id), params.words))


@app.route("/v1/audio/transcriptions", methods=["POST"], content_types=ANY)
@functools.partial(handled, error_body=openai.error_body)
def openai_transcription() -> Response:
    owner = tenant()
    request = app.current_request
    audio, form = openai.parse(parse_form(request.headers.get("content-type"), request.raw_body or b""))
    view = wiring.transcripts().transcribe_now(owner, audio, form.transcript_options(), here())
    content_type, body = openai.render(view, form)
    return json_response(body) if content_type == "application/json" else text_response(body)


@app.route("/v3/token", methods=["GET"])
@handled
def streaming_token() -> Response:
    owner = tenant()
    params = parse_query(app.current_request.query_params, TokenParams)
    return json_response(TokenOut(token=wiring.keys().create_token(owner, params.expires_in_seconds)))


@route("/transcribe", methods=["POST"])
def transcribe_sync() -> Response:
    """Raw audio in, the completed transcript out, in one request: for clips up to 30 s."""
    owner = tenant()
    request = app.current_request
    options = parse_query(request.query_params, SyncParams).transcript_options()
    view = wiring.transcripts().transcribe_now(owner, request.raw_body or b"", options, here(), SYNC_MAX_AUDIO_S)
    return json_response(presenters.transcript(view))


@route("/account", methods=["GET"])
def get_account() -> Response:
    owner = tenant()
    return json_response(AccountOut(tenant_id=owner, webhook_signing_secret=wiring.keys().webhook_secret(owner)))


@route("/model", methods=["POST"])
def create_model() -> Response:
    owner = tenant()
    request = parse_body(app.current_request.raw_body, ModelRequest, max_bytes=MAX_MODEL_BODY)
    return json_response(presenters.model(wiring.custom_models().create(owner, request)))


@route("/model/{model_id}/corpus", methods=["POST"])
def corpus_upload_url(model_id: str) -> Response:
    owner = tenant()
    url = wiring.custom_models().corpus_upload_url(owner, model_id)
    return json_response(CorpusUploadOut(upload_url=url, expires_in=UPLOAD_URL_SECONDS))


@route("/model", methods=["GET"])
def list_models() -> Response:
    owner = tenant()
    params = parse_query(app.current_request.query_params, ModelListParams)
    return json_response(presenters.model_list(wiring.custom_models().list(owner, params), params, here()))


@route("/model/{model_id}", methods=["GET"])
def get_model(model_id: str) -> Response:
    return json_response(presenters.model(wiring.custom_models().get(tenant(), model_id)))


@route("/model/{model_id}", methods=["DELETE"])
def delete_model(model_id: str) -> Response:
    return json_response(presenters.model(wiring.custom_models().delete(tenant(), model_id)))


@app.route("/console/{name}", methods=["GET"])
@handled
def console_file(name: str) -> Response:
    asset = console.asset(name)
    return Response(body=asset.body, headers=asset.headers)


@app.route("/console", methods=["GET"])
def console_page() -> Response:
    """The web console (chalicelib/console): a page that calls this API with the user's key."""
    return console_file(console.PAGE)


@app.on_sqs_message(queue=queue_name("HARK_DISPATCH_QUEUE"), batch_size=1)
def dispatch_transcript(event: SQSEvent) -> None:
    for message in events.dispatch_messages(event.to_dict()):
        wiring.transcript_jobs().dispatch(message)


@app.on_sqs_message(queue=queue_name("HARK_INFERENCE_RESULTS_QUEUE"), batch_size=1)
def inference_result(event: SQSEvent) -> None:
    for notification in events.inference_notifications(event.to_dict()):
        wiring.transcript_jobs().complete(notification)


@app.on_sqs_message(queue=queue_name("HARK_CORPUS_UPLOADS_QUEUE"), batch_size=1)
def corpus_uploaded(event: SQSEvent) -> None:
    for upload in events.corpus_uploads(event.to_dict()):
        wiring.custom_models().corpus_arrived(*upload)


@app.on_sqs_message(queue=queue_name("HARK_TRAINING_DISPATCH_QUEUE"), batch_size=1)
def dispatch_training(event: SQSEvent) -> None:
    for message in events.training_dispatch_messages(event.to_dict()):
        wiring.training_jobs().dispatch(message)


@app.on_sqs_message(queue=queue_name("HARK_TRAINING_EVENTS_QUEUE"), batch_size=1)
def training_state_change(event: SQSEvent) -> None:
    for change in events.training_changes(event.to_dict()):
        wiring.training_jobs().on_state_change(change)


@app.on_sqs_message(queue=queue_name("HARK_DROP_UPLOADS_QUEUE"), batch_size=1)
def drop_uploaded(event: SQSEvent) -> None:
    for upload in events.drop_uploads(event.to_dict()):
        wiring.drop_folder().arrived(upload)


@app.on_sqs_message(queue=queue_name("HARK_NOTIFICATIONS_QUEUE"), batch_size=1)
def transcript_finished(event: SQSEvent) -> None:
    for change in events.transcript_changes(event.to_dict()):
        wiring.notifier().transcript_finished(change)


@app.on_sqs_message(queue=queue_name("HARK_WEBHOOK_QUEUE"), batch_size=1)
def deliver_webhook(event: SQSEvent) -> None:
    for delivery in events.webhook_deliveries(event.to_dict()):
        wiring.webhooks().deliver(delivery)
