"""Domain records → AssemblyAI-shaped response bodies."""
from __future__ import annotations

import json
from enum import Enum
from typing import Optional
from urllib.parse import urlencode

from chalicelib.api.models import (
    ListParams,
    ModelItem,
    ModelList,
    ModelListParams,
    ModelOut,
    ModelSizes,
    PageDetails,
    TranscriptItem,
    TranscriptList,
    TranscriptOut,
    WordOut,
)
from chalicelib.domain import ModelRecord, TranscriptRecord
from chalicelib.services.transcripts import TranscriptView

DELETED_TEXT = "Deleted by user."


def transcript(view: TranscriptView) -> TranscriptOut:
    record, result = view.record, view.result or {}
    text: Optional[str] = result.get("text")
    words = [WordOut(**w) for w in result["words"]] if "words" in result else None
    if record.deleted:
        text, words = DELETED_TEXT, None
    return TranscriptOut(
        id=record.transcript_id,
        status=record.status,
        audio_url=record.audio_url,
        text=text,
        words=words,
        confidence=record.confidence,
        audio_duration=round(record.audio_duration) if record.audio_duration is not None else None,
        language_code=record.language_code or record.options.get("language_code") or "en_us",
        speech_model=record.options.get("speech_model"),
        custom_model_id=record.options.get("custom_model_id"),
        word_boost=record.options.get("word_boost"),
        boost_param=record.options.get("boost_param"),
        keyterms_prompt=record.options.get("keyterms_prompt"),
        custom_spelling=record.options.get("custom_spelling"),
        speech_model_used=record.model,
        error=record.error,
        created=record.created,
        completed=record.completed,
    )


def model(record: ModelRecord) -> ModelOut:
    return ModelOut(
        id=record.model_id,
        name=record.name,
        description=record.description,
        status=record.status.value,
        error=record.error,
        created=record.created,
        updated=record.updated,
        sizes=ModelSizes(
            texts=record.text_count,
            phrases=record.phrase_count,
            corpus_bytes=record.corpus_bytes,
            artifact_bytes=record.artifact_bytes,
        ),
        metrics=json.loads(record.metrics_json) if record.metrics_json else None,
    )


def model_list(records: list[ModelRecord], params: ModelListParams, base_url: str) -> ModelList:
    endpoint = f"{base_url}/v2/model"
    return ModelList(
        page_details=page_details(endpoint, params, [r.model_id for r in records]),
        models=[
            ModelItem(
                id=r.model_id,
                resource_url=f"{endpoint}/{r.model_id}",
                name=r.name,
                status=r.status.value,
                created=r.created,
                error=r.error,
            )
            for r in records
        ],
    )


def page_details(endpoint: str, params: ListParams | ModelListParams, ids: list[str]) -> PageDetails:
    """AssemblyAI's paging links; lists are newest first, so the last id is the oldest."""
    status = params.status.value if isinstance(params.status, Enum) else params.status

    def url(**bounds: str) -> str:
        query = {"limit": params.limit, **({"status": status} if status else {}), **bounds}
        return f"{endpoint}?{urlencode(query)}"

    current = {k: v for k, v in (("before_id", params.before_id), ("after_id", params.after_id)) if v}
    return PageDetails(
        limit=params.limit,
        result_count=len(ids),
        current_url=url(**current),
        prev_url=url(before_id=ids[-1]) if ids else None,
        next_url=url(after_id=ids[0]) if ids else None,
    )


def transcript_list(records: list[TranscriptRecord], params: ListParams, base_url: str) -> TranscriptList:
    endpoint = f"{base_url}/v2/transcript"
    return TranscriptList(
        page_details=page_details(endpoint, params, [r.transcript_id for r in records]),
        transcripts=[
            TranscriptItem(
                id=r.transcript_id,
                resource_url=f"{endpoint}/{r.transcript_id}",
                status=r.status,
                created=r.created,
                completed=r.completed,
                audio_url=r.audio_url,
                error=r.error,
            )
            for r in records
        ],
    )
