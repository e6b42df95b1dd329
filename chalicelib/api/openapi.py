"""Hark's own OpenAPI document (`GET /v2/openapi.json`), generated from the request and response
models, so it cannot drift from what the handlers validate and answer.

It covers the transcript API that AssemblyAI's SDK uses (upload, transcripts, their exports,
redacted audio). Links say how one answer feeds the next request (an upload's URL into a
transcript, a transcript's id into its exports), which stateful testers such as schemathesis
follow.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from chalicelib.api.models import (
    ParagraphsOut,
    RedactedAudioOut,
    SentencesOut,
    SubtitleParams,
    TranscriptList,
    TranscriptOut,
    UploadOut,
)
from chalicelib.services.requests import ListParams, TranscriptRequest

REF = "#/components/schemas/{model}"
ID = {"name": "transcript_id", "in": "path", "required": True, "schema": {"type": "string", "maxLength": 64}}
TRANSCRIPT_ID = {"transcript_id": "$response.body#/id"}
ERRORS = {
    "400": "The request is not valid, or the transcript is not completed",
    "401": "No valid API key in the authorization header",
    "404": "No such transcript for this account",
    "409": "The transcript is still being processed",
    "413": "The body is too large",
    "429": "Too many requests for this account; see Retry-After",
}


class _Error(BaseModel):
    error: str


def _json(ref: str) -> dict[str, Any]:
    return {"content": {"application/json": {"schema": {"$ref": REF.format(model=ref)}}}}


def _query(model: type[BaseModel]) -> list[dict[str, Any]]:
    schema = model.model_json_schema(ref_template=REF)
    return [
        {"name": name, "in": "query", "required": False, "schema": _nullable_removed(prop)}
        for name, prop in schema["properties"].items()
    ]


def _nullable_removed(prop: dict[str, Any]) -> dict[str, Any]:
    """A query parameter is absent rather than null: `anyOf [X, null]` becomes X."""
    options = [p for p in prop.get("anyOf", []) if p.get("type") != "null"]
    if len(options) == 1:
        return {**{k: v for k, v in prop.items() if k not in ("anyOf", "default")}, **options[0]}
    return {k: v for k, v in prop.items() if k != "default"}


def _operation(operation_id: str, ok: dict[str, Any], codes: str, **extra: Any) -> dict[str, Any]:
    responses: dict[str, Any] = {"200": {"description": "OK", **ok}}
    for code in codes.split():
        responses[code] = {"description": ERRORS[code], **_json("Error")}
    return {"operationId": operation_id, "security": [{"ApiKey": []}], "responses": responses, **extra}


def document(server_url: str) -> dict[str, Any]:
    _, schemas = models_json_schema(
        [
            (TranscriptRequest, "validation"),
            (TranscriptOut, "serialization"),
            (TranscriptList, "serialization"),
            (UploadOut, "serialization"),
            (SentencesOut, "serialization"),
            (ParagraphsOut, "serialization"),
            (RedactedAudioOut, "serialization"),
            (_Error, "serialization"),
        ],
        ref_template=REF,
    )
    components = schemas.get("$defs", {})
    components["Error"] = components.pop("_Error")
    transcript_links = {
        name: {"operationId": op, "parameters": TRANSCRIPT_ID}
        for name, op in (
            ("GetTranscript", "getTranscript"),
            ("GetSentences", "getSentences"),
            ("GetParagraphs", "getParagraphs"),
            ("GetSubtitles", "getSubtitles"),
            ("DeleteTranscript", "deleteTranscript"),
        )
    }
    transcript = {**_json("TranscriptOut"), "links": transcript_links}
    text = {"content": {"text/plain": {"schema": {"type": "string"}}}}
    return {
        "openapi": "3.1.0",
        "info": {"title": "Hark speech-to-text API", "version": "2"},
        "servers": [{"url": server_url}],
        "components": {
            "schemas": components,
            "securitySchemes": {"ApiKey": {"type": "apiKey", "in": "header", "name": "authorization"}},
        },
        "paths": {
            "/v2/upload": {
                "post": _operation(
                    "uploadFile",
                    {
                        **_json("UploadOut"),
                        "links": {
                            "CreateTranscript": {
                                "operationId": "createTranscript",
                                "requestBody": {"audio_url": "$response.body#/upload_url"},
                            }
                        },
                    },
                    "400 401 413 429",
                    requestBody={
                        "required": True,
                        "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
                    },
                )
            },
            "/v2/transcript": {
                "post": _operation(
                    "createTranscript",
                    transcript,
                    "400 401 404 429",
                    requestBody={"required": True, **_json("TranscriptRequest")},
                ),
                "get": _operation(
                    "listTranscripts", _json("TranscriptList"), "400 401 429", parameters=_query(ListParams)
                ),
            },
            "/v2/transcript/{transcript_id}": {
                "get": _operation("getTranscript", transcript, "401 404 429", parameters=[ID]),
                "delete": _operation("deleteTranscript", _json("TranscriptOut"), "401 404 409 429", parameters=[ID]),
            },
            "/v2/transcript/{transcript_id}/sentences": {
                "get": _operation("getSentences", _json("SentencesOut"), "400 401 404 429", parameters=[ID])
            },
            "/v2/transcript/{transcript_id}/paragraphs": {
                "get": _operation("getParagraphs", _json("ParagraphsOut"), "400 401 404 429", parameters=[ID])
            },
            "/v2/transcript/{transcript_id}/srt": {
                "get": _operation("getSubtitles", text, "400 401 404 429", parameters=[ID, *_query(SubtitleParams)])
            },
            "/v2/transcript/{transcript_id}/redacted-audio": {
                "get": _operation("getRedactedAudio", _json("RedactedAudioOut"), "400 401 404 429", parameters=[ID])
            },
        },
    }
