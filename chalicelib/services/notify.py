"""What follows a transcript's final state change (the state machine's event, routed from
Hark's bus to a queue): results into the drop folder's outbox, the webhook queued, and the
job's metrics. Events arrive at least once; each step is safe to repeat (the outbox is
overwritten with the same files; webhooks are at-least-once, as AssemblyAI's are)."""
from __future__ import annotations

import logging
from datetime import datetime

from chalicelib import observability
from chalicelib.orchestration.state_events import TranscriptStateChange
from chalicelib.orchestration.webhooks import WebhookDelivery, WebhookSender
from chalicelib.services.drop_folder import DropFolder
from chalicelib.services.transcripts import TranscriptService
from hark_core.errors import NotFound
from hark_core.records import FINISHED, Status

log = logging.getLogger(__name__)


class Notifier:
    def __init__(self, transcripts: TranscriptService, drop: DropFolder, webhooks: WebhookSender, drop_bucket: str) -> None:
        self._transcripts = transcripts
        self._drop = drop
        self._webhooks = webhooks
        self._drop_bucket = drop_bucket

    def transcript_finished(self, change: TranscriptStateChange) -> None:
        observability.bind(tenant_id=change.tenant_id, transcript_id=change.transcript_id)
        try:
            view = self._transcripts.get(change.tenant_id, change.transcript_id)
        except NotFound:
            log.info("transcript finished but no longer exists; nothing to notify")
            return
        record = view.record
        if record.status not in FINISHED:
            log.warning("state event says %s but the record is %s; ignored", change.status, record.status.value)
            return
        if record.source_key:
            self._drop.deliver(view, self._drop_bucket)
        webhook_url = record.options.webhook_url
        if webhook_url:
            self._webhooks.enqueue(
                WebhookDelivery(
                    tenant_id=record.tenant_id,
                    transcript_id=record.transcript_id,
                    status="completed" if record.status is Status.completed else "error",
                    url=webhook_url,
                    auth_header_name=record.options.webhook_auth_header_name,
                    auth_header_value=record.options.webhook_auth_header_value,
                )
            )
        observability.job_finished("Transcript", record.status.value, record.audio_duration, _seconds_between(record.created, record.completed))


def _seconds_between(start: str | None, end: str | None) -> float | None:
    if not start or not end:
        return None
    parse = lambda value: datetime.fromisoformat(value.replace("Z", "+00:00"))  # noqa: E731
    return (parse(end) - parse(start)).total_seconds()
