"""Transcripts as the API sees them: upload audio, submit a job, read, list, delete."""
from __future__ import annotations

import re
import time
import uuid
from dataclasses import dataclass
from typing import Any, Optional
from urllib.parse import urlsplit

from chalicelib import observability
from chalicelib.config import Settings
from chalicelib.fetch import check_url
from chalicelib.orchestration.messages import JobInput
from chalicelib.orchestration.state_events import StatePublisher
from chalicelib.orchestration.state_machines import Executions
from chalicelib.orchestration.webhooks import check_webhook_url
from chalicelib.services.custom_models import CustomModelService, Presigner
from chalicelib.services.requests import ListParams, TranscriptRequest
from chalicelib.storage.objects import ObjectStore
from chalicelib.storage.transcripts import TranscriptsTable
from hark_core import speech
from hark_core.errors import (
    BadRequest,
    Conflict,
    HarkError,
    InvalidAudioUrl,
    NotFound,
    PayloadTooLarge,
    StillProcessing,
)
from hark_core.inference import InferenceResult, Word
from hark_core.options import JobOptions
from hark_core.records import ModelRecord, Status, TranscriptRecord, is_model_id, new_id, redacted_audio_key
from hark_core.s3_uri import s3_uri

UPLOAD_PATH = re.compile(r"/v2/upload/([0-9a-f]{32})$")
DELETED_AUDIO_URL = "http://deleted_by_user"
SYNC_POLL_S = 0.2
_OFFERED = (
    f"Hark offers {speech.TINY_EN} (English; also named nano, slam-1), {speech.BASE} (multilingual; also"
    " named universal, best) and your custom models' ids"
)


@dataclass(frozen=True)
class TranscriptView:
    record: TranscriptRecord
    result: Optional[InferenceResult]
    """The stored result (the container's, formatted as the request asked), once completed."""

    @property
    def words(self) -> list[Word]:
        return list(self.result.words) if self.result else []


def upload_key(tenant_id: str, upload_id: str) -> str:
    return f"uploads/{tenant_id}/{upload_id}"


REDACTED_AUDIO_SECONDS = 24 * 3600


class TranscriptService:
    def __init__(
        self,
        table: TranscriptsTable,
        objects: ObjectStore,
        executions: Executions,
        models: CustomModelService,
        publisher: StatePublisher,
        settings: Settings,
        presigner: Presigner,
    ) -> None:
        self._presigner = presigner
        self._models = models
        self._publisher = publisher
        self._table = table
        self._objects = objects
        self._executions = executions
        self._settings = settings

    def upload(self, tenant_id: str, body: bytes, base_url: str) -> str:
        if not body:
            raise BadRequest("the upload is empty: send the audio file's bytes as the request body")
        if len(body) > self._settings.max_upload_bytes:
            raise PayloadTooLarge(
                f"the upload is larger than {self._settings.max_upload_bytes} bytes; "
                "pass a public audio_url to /v2/transcript instead"
            )
        upload_id = uuid.uuid4().hex
        self._objects.put_bytes(self._settings.media_bucket, upload_key(tenant_id, upload_id), body)
        return f"{base_url}/v2/upload/{upload_id}"

    def submit(self, tenant_id: str, request: TranscriptRequest, max_audio_s: Optional[float] = None) -> TranscriptRecord:
        """``max_audio_s`` makes the engine refuse longer audio (the synchronous endpoints)."""
        options = self._options(tenant_id, request)
        if max_audio_s is not None:
            options.max_audio_s = max_audio_s
        transcript_id = new_id()
        media_key = self._media_key(tenant_id, transcript_id, request.audio_url)
        return self._start(TranscriptRecord(tenant_id, transcript_id, request.audio_url, media_key=media_key, options=options))

    def submit_dropped(self, tenant_id: str, request: TranscriptRequest, bucket: str, key: str) -> TranscriptRecord:
        """A transcript of a drop-folder object. The audio is copied into the media bucket,
        where every job reads its audio, so deleting the transcript removes the copy and
        the customer's own object is left as it was."""
        options = self._options(tenant_id, request)
        transcript_id = new_id()
        media_key = f"dropped/{tenant_id}/{transcript_id}"
        self._objects.copy(bucket, key, self._settings.media_bucket, media_key)
        record = TranscriptRecord(
            tenant_id, transcript_id, request.audio_url, media_key=media_key, options=options, source_key=key
        )
        return self._start(record)

    def transcribe_now(
        self, tenant_id: str, audio: bytes, options: dict[str, Any], base_url: str, max_audio_s: Optional[float] = None
    ) -> TranscriptView:
        """Upload, submit and wait for the transcript: the synchronous API for short clips.
        A job that outlasts the wait is not lost: the 504 names it for GET /v2/transcript/{id}."""
        request = TranscriptRequest.parse({**options, "audio_url": self.upload(tenant_id, audio, base_url)})
        record = self.submit(tenant_id, request, max_audio_s)
        deadline = time.monotonic() + self._settings.sync_wait_s
        while True:
            view = self.get(tenant_id, record.transcript_id)
            if view.record.status is Status.completed:
                return view
            if view.record.status is Status.error:
                raise BadRequest(view.record.error or "transcription failed")
            if time.monotonic() > deadline:
                raise StillProcessing(
                    f"transcript {record.transcript_id} did not finish within {self._settings.sync_wait_s:g} s; "
                    f"GET /v2/transcript/{record.transcript_id} for it later"
                )
            time.sleep(SYNC_POLL_S)

    def _options(self, tenant_id: str, request: TranscriptRequest) -> JobOptions:
        """The job's stored options, checked: a missing model or a forbidden webhook fails at submit time."""
        asked = request.model_dump(exclude={"audio_url", "domain", "custom_model_id"})
        options = JobOptions.model_validate(asked)
        listed: Optional[str] = None
        if request.model_id:
            model = self._models.ready(tenant_id, request.model_id)
        else:
            model, listed = self._first_available(tenant_id, request)
        if model is not None:
            options.custom_model_id = model.model_id
            options.custom_model_uri = s3_uri(self._settings.media_bucket, model.artifact_key or "")
        if request.webhook_url:
            check_webhook_url(request.webhook_url, self._settings.allow_private_webhook_urls)
        named = request.speech_model and speech.base_model(request.speech_model)
        if request.speech_model and not named and not is_model_id(request.speech_model):
            raise BadRequest(f"speech_model {request.speech_model!r} is not offered: {_OFFERED}")
        try:
            options.base_model = speech.choose(
                named or listed,
                request.language,
                bool(request.language_detection),
                personal_data=bool(request.redact_pii or request.entity_detection),
            )
        except ValueError as error:
            raise BadRequest(str(error)) from None
        return options

    def _first_available(
        self, tenant_id: str, request: TranscriptRequest
    ) -> tuple[Optional[ModelRecord], Optional[str]]:
        """AssemblyAI's `speech_models`, a list in priority order: the first one available is used.
        A custom model's id there selects it (so the newest SDK needs no `domain`), on the base
        model the language calls for; a missing or unready one gives way to the next entry; a base
        model's name ends the search with that base model and no custom model. Only when nothing
        in the list is available is the request refused, naming why. Returns (custom model, base
        model's name), either None."""
        failure: Optional[HarkError] = None
        for name in request.speech_models or ():
            if not is_model_id(name):
                base = speech.base_model(name)
                if base is None:
                    raise BadRequest(f"speech_models entry {name!r} is not offered: {_OFFERED}")
                return None, base
            try:
                return self._models.ready(tenant_id, name), None
            except (NotFound, BadRequest) as error:
                failure = error
        if failure is not None:
            raise BadRequest(f"none of speech_models is available: {failure}")
        return None, None

    def _start(self, record: TranscriptRecord) -> TranscriptRecord:
        self._table.create(record)
        # Published before the job starts, so "queued" always precedes "processing" on the bus.
        self._publisher.transcript(record)
        self._executions.start(record.transcript_id, JobInput(tenant_id=record.tenant_id, transcript_id=record.transcript_id))
        observability.bind(transcript_id=record.transcript_id)
        observability.count("TranscriptJobs", record.status.value)
        return record

    def _media_key(self, tenant_id: str, transcript_id: str, audio_url: str) -> str:
        """Where the job will read its audio: this tenant's upload, or a copy of the URL's
        body that the job fetches (checked here too, so a bad URL fails at submit time)."""
        match = UPLOAD_PATH.search(urlsplit(audio_url).path) if audio_url.startswith(("http://", "https://")) else None
        if match:
            key = upload_key(tenant_id, match.group(1))
            if not self._objects.exists(self._settings.media_bucket, key):
                raise InvalidAudioUrl("upload_url not found: upload the file with POST /v2/upload first")
            return key
        check_url(audio_url, self._settings.allow_private_audio_urls)
        return f"fetched/{tenant_id}/{transcript_id}"

    def get(self, tenant_id: str, transcript_id: str) -> TranscriptView:
        record = self._table.get(tenant_id, transcript_id)
        result = None
        if record.status is Status.completed and record.result_key:
            result = InferenceResult.model_validate_json(self._objects.get_bytes(self._settings.media_bucket, record.result_key))
        return TranscriptView(record, result)

    def exportable(self, tenant_id: str, transcript_id: str) -> TranscriptView:
        """A transcript whose words can be exported (sentences, captions, search).

        AssemblyAI documents exports only for completed transcripts and a deleted one keeps
        its id and status but not its words, so: not completed (queued, processing, error)
        is a 400 naming the status, as asking too early is the client's mistake to retry
        later; deleted is a 404, as the words asked for no longer exist."""
        view = self.get(tenant_id, transcript_id)
        record = view.record
        if record.deleted:
            raise NotFound(f"transcript {transcript_id} was deleted: its text and words no longer exist")
        if record.status is not Status.completed:
            detail = f": {record.error}" if record.error else "; try again once it is completed"
            raise BadRequest(f"transcript {transcript_id} is {record.status.value}, not completed{detail}")
        return view

    def list(self, tenant_id: str, params: ListParams) -> list[TranscriptRecord]:
        status = params.status.value if params.status else None
        return self._table.list(tenant_id, params.limit, status, params.before_id, params.after_id)

    def delete(self, tenant_id: str, transcript_id: str) -> TranscriptView:
        record = self._table.get(tenant_id, transcript_id)
        if not record.deleted:
            if not self._table.mark_deleted(tenant_id, transcript_id, DELETED_AUDIO_URL):
                raise Conflict("the transcript is still being processed; delete it once it is completed or error")
            keys = [record.media_key, record.result_key]
            if record.options.redact_pii_audio:
                keys.append(redacted_audio_key(record))
            for key in keys:
                self._objects.delete(self._settings.media_bucket, key)
        return self.get(tenant_id, transcript_id)

    def redacted_audio_url(self, tenant_id: str, transcript_id: str) -> str:
        """A link to the transcript's bleeped audio, good for 24 hours (as AssemblyAI's)."""
        record = self.exportable(tenant_id, transcript_id).record
        if not record.options.redact_pii_audio:
            raise BadRequest(f"transcript {transcript_id} was not made with redact_pii_audio: true")
        key = redacted_audio_key(record)
        if not self._objects.exists(self._settings.media_bucket, key):
            # Kept for a day, as AssemblyAI keeps it (the bucket's lifecycle rule).
            raise BadRequest(f"the redacted audio of transcript {transcript_id} is no longer available")
        return self._presigner.get_url(self._settings.media_bucket, key, REDACTED_AUDIO_SECONDS)
