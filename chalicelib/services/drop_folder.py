"""The S3 drop folder: audio put under ``<tenant>/inbox/`` becomes a transcript of that
tenant, and its results are written to ``<tenant>/outbox/``.

    acme/inbox/calls/0412.wav    the audio (any format the engine decodes)
    acme/inbox/calls/0412.json   optional sidecar, uploaded BEFORE the audio: transcript
                                 options as POST /v2/transcript takes them (no audio_url)
    acme/outbox/calls/0412.json  the transcript as GET /v2/transcript/{id} returns it
    acme/outbox/calls/0412.txt   its text             (completed only)
    acme/outbox/calls/0412.srt   its captions         (completed only)

S3 reports each object at least once, so a submission is idempotent on (bucket, key,
sequencer) with powertools' idempotency on DynamoDB: a duplicate event makes no second
transcript, while a new upload under the same name (a new sequencer) is a new job. Objects
outside a known tenant's inbox are logged and left alone.
"""
from __future__ import annotations

import json
import logging
import posixpath
from typing import Any, Callable, Optional

from pydantic import BaseModel

from chalicelib import observability
from chalicelib.exports.subtitles import render
from chalicelib.services.keys import KeyService
from chalicelib.services.requests import TranscriptRequest
from chalicelib.services.transcripts import TranscriptService, TranscriptView
from chalicelib.storage.objects import ObjectStore
from hark_core.errors import BadRequest, NotFound
from hark_core.records import Status
from hark_core.s3_uri import s3_uri

log = logging.getLogger(__name__)

INBOX = "inbox"
OUTBOX = "outbox"
SIDECAR = ".json"
MAX_SIDECAR_BYTES = 64_000


class DroppedObject(BaseModel):
    bucket: str
    key: str
    size: int = 0
    sequencer: str = ""


def inbox_name(key: str) -> Optional[tuple[str, str]]:
    """(tenant, name within the inbox) for ``<tenant>/inbox/<name>``, else None."""
    tenant, _, rest = key.partition("/")
    folder, _, name = rest.partition("/")
    if not tenant or folder != INBOX or not name or name.endswith("/"):
        return None
    return tenant, name


def outbox_key(tenant: str, name: str, suffix: str) -> str:
    return f"{tenant}/{OUTBOX}/{posixpath.splitext(name)[0]}{suffix}"


class DropFolder:
    def __init__(
        self,
        transcripts: TranscriptService,
        keys: KeyService,
        objects: ObjectStore,
        once: Callable[[Callable[..., Any]], Callable[..., Any]],
        present: Callable[[TranscriptView], dict[str, Any]],
    ) -> None:
        """``once`` makes a function idempotent on its ``upload`` argument (powertools'
        ``idempotent_function`` with a DynamoDB persistence layer, see wiring). ``present`` is
        a transcript as the API answers it, written to the outbox as its JSON (given by the
        wiring: the API's presenters sit above the services)."""
        self._present = present
        self._transcripts = transcripts
        self._keys = keys
        self._objects = objects
        self._submit_once = once(self._submit)

    def arrived(self, upload: DroppedObject) -> Optional[str]:
        """Starts a transcript for an inbox object; returns its id (None when the object is
        not inbox audio, or the same id again for a duplicate event)."""
        parsed = inbox_name(upload.key)
        if parsed is None:
            if upload.key.partition("/")[2].startswith(OUTBOX + "/"):
                return None  # Hark's own results
            log.warning("drop folder: rejected %s: not under <tenant>/inbox/", upload.key)
            return None
        tenant, name = parsed
        if name.endswith(SIDECAR):
            return None  # read when its audio arrives
        observability.bind(tenant_id=tenant)
        if not self._keys.exists(tenant):
            log.warning("drop folder: rejected %s: no tenant %r", upload.key, tenant)
            return None
        transcript_id: Optional[str] = self._submit_once(upload=upload)
        return transcript_id

    def _submit(self, upload: DroppedObject) -> Optional[str]:
        tenant, name = inbox_name(upload.key) or ("", "")
        try:
            request = TranscriptRequest.parse({**self._sidecar(upload.bucket, tenant, name), "audio_url": s3_uri(upload.bucket, upload.key)})
            record = self._transcripts.submit_dropped(tenant, request, upload.bucket, upload.key)
        except (BadRequest, NotFound) as e:
            # The customer's mistake (bad sidecar, unknown model): reported where they look.
            log.warning("drop folder: %s not transcribed: %s", upload.key, e.message)
            self._write_json(upload.bucket, outbox_key(tenant, name, ".json"), {"status": "error", "error": e.message, "audio_url": s3_uri(upload.bucket, upload.key)})
            return None
        log.info("drop folder: %s is transcript %s", upload.key, record.transcript_id)
        return record.transcript_id

    def _sidecar(self, bucket: str, tenant: str, name: str) -> dict[str, Any]:
        key = f"{tenant}/{INBOX}/{posixpath.splitext(name)[0]}{SIDECAR}"
        try:
            if self._objects.get_size(bucket, key) > MAX_SIDECAR_BYTES:
                raise BadRequest(f"the sidecar {key} is larger than {MAX_SIDECAR_BYTES} bytes")
            options = json.loads(self._objects.get_bytes(bucket, key))
        except NotFound:
            return {}
        except (json.JSONDecodeError, UnicodeDecodeError) as e:
            raise BadRequest(f"the sidecar {key} is not valid JSON: {e}") from e
        if not isinstance(options, dict):
            raise BadRequest(f"the sidecar {key} must hold a JSON object of transcript options")
        if "audio_url" in options:
            raise BadRequest(f"the sidecar {key} must not set audio_url: the audio is the dropped file")
        return options

    def deliver(self, view: TranscriptView, bucket: str) -> None:
        """Writes a finished transcript's results to its tenant's outbox."""
        record = view.record
        tenant, name = inbox_name(record.source_key or "") or ("", "")
        if not name:
            return
        if record.status is Status.completed and not record.deleted:
            text = view.result.text if view.result else ""
            self._objects.put_bytes(bucket, outbox_key(tenant, name, ".txt"), text.encode(), "text/plain; charset=utf-8")
            srt = render("srt", view.words)
            self._objects.put_bytes(bucket, outbox_key(tenant, name, ".srt"), srt.encode(), "application/x-subrip")
        # The JSON last: a client that waits for it finds the text and captions already there.
        self._write_json(bucket, outbox_key(tenant, name, ".json"), self._present(view))

    def _write_json(self, bucket: str, key: str, doc: Any) -> None:
        self._objects.put_bytes(bucket, key, json.dumps(doc, indent=2).encode(), "application/json")
