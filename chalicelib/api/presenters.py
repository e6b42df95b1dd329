"""Domain records → AssemblyAI-shaped response bodies."""

from __future__ import annotations

import json
from collections.abc import Sequence
from enum import Enum
from typing import Optional, overload
from urllib.parse import urlencode

from chalicelib.api.models import (
    ExportOut,
    ModelItem,
    ModelList,
    ModelOut,
    ModelSizes,
    PageDetails,
    ParagraphsOut,
    SegmentOut,
    SentencesOut,
    TranscriptItem,
    TranscriptList,
    TranscriptOut,
    WordSearchMatchOut,
    WordSearchOut,
)
from chalicelib.exports import search, segments, subtitles
from chalicelib.exports.words import Segment
from chalicelib.services.requests import ListParams, ModelListParams
from chalicelib.services.transcripts import TranscriptView
from hark_core.records import ModelRecord, TranscriptRecord

DELETED_TEXT = "Deleted by user."


def transcript(view: TranscriptView) -> TranscriptOut:
    record, result, options = view.record, view.result, view.record.options
    text = result.text if result else None
    words = list(result.words) if result else None
    turns = options.speaker_labels or options.multichannel
    utterances = _segments(segments.utterances(view.words)) if turns else None
    if record.deleted:
        text, words, utterances = DELETED_TEXT, None, None
    return TranscriptOut(
        id=record.transcript_id,
        status=record.status,
        audio_url=record.audio_url,
        text=text,
        words=words,
        utterances=utterances,
        speaker_labels=bool(options.speaker_labels),
        speakers_expected=options.speakers_expected,
        language_detection=bool(options.language_detection),
        language_confidence=result.language_confidence if result and options.language_detection else None,
        confidence=record.confidence,
        audio_duration=round(record.audio_duration) if record.audio_duration is not None else None,
        language_code=record.language_code or options.language_code or "en_us",
        punctuate=options.punctuate is not False,
        format_text=options.format_text is not False,
        speech_model=options.speech_model,
        custom_model_id=options.custom_model_id,
        prompt=options.prompt,
        temperature=options.temperature,
        audio_start_from=options.audio_start_from,
        audio_end_at=options.audio_end_at,
        speech_threshold=options.speech_threshold,
        speaker_options=options.speaker_options.model_dump() if options.speaker_options else None,
        disfluencies=bool(options.disfluencies),
        multichannel=bool(options.multichannel),
        audio_channels=result.audio_channels if result else None,
        entity_detection=bool(options.entity_detection),
        entities=result.entities if result and options.entity_detection and not record.deleted else None,
        redact_pii=bool(options.redact_pii),
        redact_pii_audio=bool(options.redact_pii_audio),
        redact_pii_audio_quality=(options.redact_pii_audio_quality or "mp3") if options.redact_pii_audio else None,
        redact_pii_policies=list(options.pii_policies) or None,
        redact_pii_sub=(options.redact_pii_sub or "hash") if options.redact_pii else None,
        filter_profanity=bool(options.filter_profanity),
        word_boost=options.word_boost,
        boost_param=options.boost_param,
        keyterms_prompt=options.keyterms_prompt,
        custom_spelling=[rule.model_dump(by_alias=True) for rule in options.custom_spelling] if options.custom_spelling else None,
        speech_model_used=record.model,
        webhook_url=options.webhook_url,
        webhook_auth=bool(options.webhook_auth_header_name),
        webhook_auth_header_name=options.webhook_auth_header_name,
        webhook_status_code=record.webhook_status_code,
        error=record.error,
        created=wire_time(record.created),
        completed=wire_time(record.completed),
    )



def sentences(view: TranscriptView) -> SentencesOut:
    return SentencesOut(**_export(view).model_dump(), sentences=_segments(segments.sentences(view.words)))


def paragraphs(view: TranscriptView) -> ParagraphsOut:
    return ParagraphsOut(**_export(view).model_dump(), paragraphs=_segments(segments.paragraphs(view.words)))


def subtitle_text(
    view: TranscriptView, subtitle_format: subtitles.SubtitleFormat, chars_per_caption: Optional[int]
) -> str:
    return subtitles.render(subtitle_format, view.words, chars_per_caption)


def word_search(view: TranscriptView, terms: Sequence[str]) -> WordSearchOut:
    matches = search.search(view.words, terms)
    return WordSearchOut(
        id=view.record.transcript_id,
        total_count=sum(m.count for m in matches),
        matches=[
            WordSearchMatchOut(text=m.text, count=m.count, timestamps=m.timestamps, indexes=m.indexes) for m in matches
        ],
    )


def _export(view: TranscriptView) -> ExportOut:
    record = view.record
    return ExportOut(
        id=record.transcript_id,
        confidence=record.confidence or 0.0,
        audio_duration=round(record.audio_duration or 0),
    )


def _segments(items: list[Segment]) -> list[SegmentOut]:
    return [
        SegmentOut(
            text=s.text,
            start=s.start,
            end=s.end,
            confidence=s.confidence,
            words=list(s.words),
            speaker=s.speaker,
            channel=s.words[0].channel,
        )
        for s in items
    ]



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


@overload
def wire_time(stored: str) -> str: ...
@overload
def wire_time(stored: None) -> None: ...
def wire_time(stored: Optional[str]) -> Optional[str]:
    """A stored UTC timestamp ("...T11:56:40.123Z") as AssemblyAI writes one: no zone suffix
    (its schema's pattern has none); the times are UTC."""
    return stored[:-1] if stored and stored.endswith("Z") else stored


def transcript_list(records: list[TranscriptRecord], params: ListParams, base_url: str) -> TranscriptList:
    endpoint = f"{base_url}/v2/transcript"
    return TranscriptList(
        page_details=page_details(endpoint, params, [r.transcript_id for r in records]),
        transcripts=[
            TranscriptItem(
                id=r.transcript_id,
                resource_url=f"{endpoint}/{r.transcript_id}",
                status=r.status,
                created=wire_time(r.created),
                completed=wire_time(r.completed),
                audio_url=r.audio_url,
                error=r.error,
            )
            for r in records
        ],
    )
