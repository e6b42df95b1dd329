"""Domain records → AssemblyAI-shaped response bodies."""
from __future__ import annotations

from typing import Optional
from urllib.parse import urlencode

from chalicelib.api.models import ListParams, PageDetails, TranscriptItem, TranscriptList, TranscriptOut, WordOut
from chalicelib.domain import TranscriptRecord
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
        speech_model_used=record.model,
        error=record.error,
        created=record.created,
        completed=record.completed,
    )


def transcript_list(records: list[TranscriptRecord], params: ListParams, base_url: str) -> TranscriptList:
    endpoint = f"{base_url}/v2/transcript"

    def url(**bounds: str) -> str:
        query = {"limit": params.limit, **({"status": params.status.value} if params.status else {}), **bounds}
        return f"{endpoint}?{urlencode(query)}"

    current = {k: v for k, v in (("before_id", params.before_id), ("after_id", params.after_id)) if v}
    return TranscriptList(
        page_details=PageDetails(
            limit=params.limit,
            result_count=len(records),
            current_url=url(**current),
            # Newest first: the last record is the oldest of the page.
            prev_url=url(before_id=records[-1].transcript_id) if records else None,
            next_url=url(after_id=records[0].transcript_id) if records else None,
        ),
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
