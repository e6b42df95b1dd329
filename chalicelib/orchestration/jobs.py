"""The transcript job's work between its state machine steps: hand the audio to the
SageMaker async endpoint (dispatch), and turn the endpoint's notification into the task
result the state machine stores (complete). Both run from queues, at least once, so both
are idempotent: a job moves only from the state it was found in."""
from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from typing import Optional

from pydantic import ValidationError

from chalicelib import observability
from chalicelib.config import Settings
from chalicelib.fetch import DownloadError, download
from chalicelib.orchestration.admission import Admission
from chalicelib.orchestration.endpoint import AsyncEndpoint
from chalicelib.orchestration.messages import AsyncNotification, DispatchMessage, TaskResult
from chalicelib.orchestration.state_events import StatePublisher
from chalicelib.orchestration.state_machines import TaskCallbacks
from chalicelib.storage.objects import ObjectStore
from chalicelib.storage.transcripts import TranscriptsTable
from hark_core.errors import BadRequest, HarkError, NotFound
from hark_core.formatting import carry_punctuation, is_filler, mask_profanity, restyle, spelled_words
from hark_core.inference import InferenceError, InferenceRequest, InferenceResult
from hark_core.options import TranscriptOptions
from hark_core.records import TranscriptRecord, now_iso, redacted_audio_key
from hark_core.s3_uri import s3_uri, split_s3_uri

log = logging.getLogger(__name__)

GENERIC_FAILURE = "transcription failed: the speech engine could not process this audio"


def inference_id(tenant_id: str, transcript_id: str) -> str:
    return f"{tenant_id}/{transcript_id}"


def parse_inference_id(value: str) -> tuple[str, str]:
    tenant_id, _, transcript_id = value.partition("/")
    return tenant_id, transcript_id


def result_key(tenant_id: str, transcript_id: str) -> str:
    return f"results/{tenant_id}/{transcript_id}.json"


class TranscriptJobs:
    def __init__(
        self,
        table: TranscriptsTable,
        objects: ObjectStore,
        endpoint: AsyncEndpoint,
        callbacks: TaskCallbacks,
        publisher: StatePublisher,
        settings: Settings,
        admission: Optional[Callable[["TranscriptJobs"], Admission]] = None,
    ) -> None:
        """`admission` builds the fair-sharing line around this object's `start` (see
        `admission`); without it every dispatched job goes straight to the endpoint."""
        self._publisher = publisher
        self._table = table
        self._objects = objects
        self._endpoint = endpoint
        self._callbacks = callbacks
        self._settings = settings
        self._admission = admission(self) if admission else None

    def dispatch(self, message: DispatchMessage) -> None:
        """Queues the job for its fair turn at the endpoint (or starts it, without admission)."""
        job = message.job
        observability.bind(tenant_id=job.tenant_id, transcript_id=job.transcript_id)
        if self._admission is None:
            self.start(message.model_dump_json())
            return
        self._admission.submit(job.tenant_id, job.transcript_id, message.model_dump_json())

    def queue_position(self, tenant_id: str, transcript_id: str) -> Optional[int]:
        """How many of the tenant's jobs wait ahead of this one for the endpoint (None: not waiting)."""
        return self._admission.position(tenant_id, transcript_id) if self._admission else None

    def start(self, message_json: str, first: bool = False) -> bool:
        """Hands a job to the endpoint; False when it is not queued any more (a duplicate, or a
        job deleted while it waited) or its audio cannot be had (the job then ends in error).
        `first`: the job's tenant had nothing else at the endpoint (see InferenceRequest)."""
        message = DispatchMessage.model_validate_json(message_json)
        job = message.job
        observability.bind(tenant_id=job.tenant_id, transcript_id=job.transcript_id)
        if not self._table.start(job.tenant_id, job.transcript_id, message.task_token):
            log.info("job %s is not queued any more; duplicate dispatch ignored", job.transcript_id)
            return False
        record = self._table.get(job.tenant_id, job.transcript_id)
        self._publisher.transcript(record)
        try:
            audio_key = self._stage_audio(record)
        except (DownloadError, BadRequest, NotFound) as e:
            # The audio itself is the problem: retrying cannot help. (AWS trouble, by contrast,
            # propagates so the queue redelivers the message.)
            self._callbacks.fail(message.task_token, "AudioUnavailable", str(e))
            return False
        input_key = f"inference-input/{job.tenant_id}/{job.transcript_id}.json"
        request = InferenceRequest(
            audio_uri=s3_uri(self._settings.media_bucket, audio_key),
            options=record.options.for_container(),
            tenant_id=job.tenant_id,
            first_of_tenant=first,
            redacted_audio_uri=s3_uri(self._settings.media_bucket, redacted_audio_key(record))
            if record.options.redact_pii_audio
            else None,
        )
        self._objects.put_bytes(self._settings.async_bucket, input_key, request.to_json(), "application/json")
        self._endpoint.invoke(s3_uri(self._settings.async_bucket, input_key), inference_id(job.tenant_id, job.transcript_id))
        return True

    def _stage_audio(self, record: TranscriptRecord) -> str:
        """The S3 key of the job's audio, fetching it from its URL first if need be."""
        assert record.media_key, "every record gets its media key at submit time"
        if not record.media_key.startswith("fetched/"):
            return record.media_key
        bucket = self._settings.media_bucket
        download(
            record.audio_url,
            lambda stream: self._objects.put_stream(bucket, record.media_key or "", stream),
            self._settings.max_fetch_bytes,
            self._settings.allow_private_audio_urls,
        )
        if self._objects.get_size(bucket, record.media_key) == 0:
            raise DownloadError(f"Download error: the file at {record.audio_url} is empty")
        return record.media_key

    def complete(self, notification: AsyncNotification) -> None:
        tenant_id, transcript_id = parse_inference_id(notification.inferenceId)
        observability.bind(tenant_id=tenant_id, transcript_id=transcript_id)
        try:
            self._complete(notification, tenant_id, transcript_id)
        finally:
            # The endpoint is done with the job either way: its place goes to the next in line.
            if self._admission is not None:
                self._admission.release(tenant_id, transcript_id)

    def _complete(self, notification: AsyncNotification, tenant_id: str, transcript_id: str) -> None:
        token = self._table.task_token(tenant_id, transcript_id)
        if token is None:
            log.info("job %s is not processing; late notification ignored", transcript_id)
            return
        if not notification.succeeded:
            self._callbacks.fail(token, "TranscriptionFailed", self._failure_reason(notification))
            return
        bucket, key = split_s3_uri(notification.responseParameters.outputLocation or "")
        result = InferenceResult.model_validate_json(self._objects.get_bytes(bucket, key))
        result = as_requested(result, self._table.get(tenant_id, transcript_id).options)
        stored = result_key(tenant_id, transcript_id)
        self._objects.put_bytes(self._settings.media_bucket, stored, result.model_dump_json().encode(), "application/json")
        self._callbacks.succeed(
            token,
            TaskResult(
                result_key=stored,
                confidence=f"{result.confidence:.4f}",
                audio_duration=f"{result.audio_duration:.3f}",
                language_code=result.language_code,
                model=result.model or "",
                completed=now_iso(),
            ),
        )

    def _failure_reason(self, notification: AsyncNotification) -> str:
        """The container's own ``{"error": ...}`` message when there is one: it is written for
        users (e.g. "the file could not be decoded as audio"), unlike SageMaker's wrapper text."""
        for text in (self._read_failure(notification.responseParameters.failureLocation), notification.failureReason):
            message = _error_message(text)
            if message:
                return message
        return GENERIC_FAILURE

    def _read_failure(self, location: Optional[str]) -> Optional[str]:
        if not location:
            return None
        try:
            bucket, key = split_s3_uri(location)
            return self._objects.get_bytes(bucket, key).decode("utf-8", "replace")
        except (ValueError, HarkError):
            return None


def as_requested(result: InferenceResult, options: TranscriptOptions) -> InferenceResult:
    """The result with the request's ``punctuate``/``format_text``, ``disfluencies`` (fillers
    removed unless asked for, as AssemblyAI does) and ``filter_profanity`` applied. It is applied
    once, here, to what is stored: the stored result is then the one source of truth that the
    transcript, every export and any later reader share, where formatting on each read would
    leave each reader to remember it."""
    punctuate, format_text = options.punctuate is not False, options.format_text is not False
    keep_fillers, mask = options.disfluencies is True, options.filter_profanity is True
    if punctuate and format_text and not mask and (keep_fillers or not any(is_filler(w.text) for w in result.words)):
        return result  # the text as the decoder wrote it
    keep = spelled_words(rule.to for rule in options.custom_spelling or [])
    words = []
    for index, word in enumerate(result.words):
        if not keep_fillers and is_filler(word.text):
            if words and punctuate:  # "so, um, I" -> "so, I": the filler's comma was the sentence's
                words[-1] = replace(words[-1], text=carry_punctuation(words[-1].text, word.text))
            continue
        text = restyle(word.text, punctuate=punctuate, format_text=format_text, keep=keep)
        if mask:
            text = mask_profanity(text)
        if text:
            words.append(replace(word, text=text))
    return result.model_copy(update={"words": words, "text": " ".join(w.text for w in words)})


def _error_message(text: Optional[str]) -> Optional[str]:
    if not text:
        return None
    start = text.find("{")
    if start >= 0:
        try:
            return InferenceError.model_validate_json(text[start : text.rfind("}") + 1]).error
        except ValidationError:
            pass
    return text.strip()[:500] or None
