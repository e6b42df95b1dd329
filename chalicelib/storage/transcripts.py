"""The transcripts table."""
from __future__ import annotations

from typing import Any

from chalicelib.aws import conditional, guarded
from chalicelib.storage.jobs import JobTable
from hark_core.records import Status, TranscriptRecord


class TranscriptsTable(JobTable[TranscriptRecord]):
    id_attribute = "transcript_id"
    kind = "transcript"
    running = Status.processing.value

    def from_item(self, item: dict[str, Any]) -> TranscriptRecord:
        return TranscriptRecord.from_item(item)

    def mark_deleted(self, tenant_id: str, transcript_id: str, placeholder_url: str) -> bool:
        """Keeps id and status, forgets the audio and the result (AssemblyAI's semantics).
        Only finished jobs may be deleted: False otherwise."""
        return conditional(
            lambda: self._db.update_item(
                TableName=self._table,
                Key=self._key(tenant_id, transcript_id),
                UpdateExpression="SET audio_url = :u, deleted = :t REMOVE media_key, result_key, task_token",
                ConditionExpression="#s IN (:completed, :error)",
                ExpressionAttributeNames={"#s": "status"},
                ExpressionAttributeValues={
                    ":u": {"S": placeholder_url},
                    ":t": {"BOOL": True},
                    ":completed": {"S": Status.completed.value},
                    ":error": {"S": Status.error.value},
                },
            ),
            "deleting the transcript",
        )

    def set_webhook_status(self, tenant_id: str, transcript_id: str, status_code: int) -> None:
        """The receiver's last answer, shown as the transcript's ``webhook_status_code``."""
        guarded(
            lambda: self._db.update_item(
                TableName=self._table,
                Key=self._key(tenant_id, transcript_id),
                UpdateExpression="SET webhook_status_code = :c",
                ConditionExpression="attribute_exists(transcript_id)",
                ExpressionAttributeValues={":c": {"N": str(status_code)}},
            ),
            "recording the webhook's answer",
        )
