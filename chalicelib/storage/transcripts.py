"""The transcripts table: one item per transcript, keyed (tenant_id, transcript_id), so a
tenant can only ever address its own records."""
from __future__ import annotations

from typing import Any, Optional

from chalicelib.domain import Status, TranscriptRecord
from chalicelib.errors import NotFound
from chalicelib.aws import conditional, guarded
from chalicelib.storage.dynamo import Codec, paginate_query


class TranscriptsTable:
    def __init__(self, dynamodb: Any, table_name: str) -> None:
        self._db = dynamodb
        self._table = table_name
        self._codec = Codec()

    def _key(self, tenant_id: str, transcript_id: str) -> dict[str, Any]:
        return {"tenant_id": {"S": tenant_id}, "transcript_id": {"S": transcript_id}}

    def create(self, record: TranscriptRecord) -> None:
        guarded(
            lambda: self._db.put_item(
                TableName=self._table,
                Item=self._codec.dump(record.to_item()),
                ConditionExpression="attribute_not_exists(transcript_id)",
            ),
            "storing the transcript",
        )

    def get(self, tenant_id: str, transcript_id: str) -> TranscriptRecord:
        raw = guarded(
            lambda: self._db.get_item(TableName=self._table, Key=self._key(tenant_id, transcript_id), ConsistentRead=True),
            "reading the transcript",
        )
        if "Item" not in raw:
            raise NotFound("Transcript not found")
        return TranscriptRecord.from_item(self._codec.load(raw["Item"]))

    def list(
        self,
        tenant_id: str,
        limit: int,
        status: Optional[Status] = None,
        before_id: Optional[str] = None,
        after_id: Optional[str] = None,
    ) -> list[TranscriptRecord]:
        """Newest first, as AssemblyAI lists. Ids sort by creation time (see domain.new_id)."""
        condition = "tenant_id = :t"
        values: dict[str, Any] = {":t": {"S": tenant_id}}
        if before_id and after_id:
            condition += " AND transcript_id BETWEEN :a AND :b"
            values.update({":a": {"S": after_id}, ":b": {"S": before_id}})
        elif before_id:
            condition += " AND transcript_id < :b"
            values[":b"] = {"S": before_id}
        elif after_id:
            condition += " AND transcript_id > :a"
            values[":a"] = {"S": after_id}
        request: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": condition,
            "ExpressionAttributeValues": values,
            "ScanIndexForward": False,
        }
        if status:
            request["FilterExpression"] = "#s = :s"
            request["ExpressionAttributeNames"] = {"#s": "status"}
            values[":s"] = {"S": status.value}
        records = [TranscriptRecord.from_item(self._codec.load(raw)) for raw in paginate_query(self._db, request, limit)]
        # BETWEEN is inclusive; the API's bounds are not.
        return [r for r in records if r.transcript_id not in (before_id, after_id)]

    def start_processing(self, tenant_id: str, transcript_id: str, task_token: str) -> bool:
        """queued → processing, remembering the Step Functions task token. A redelivery of the
        same task (its handler failed part-way) may proceed; anything else is refused (False):
        the job has moved on."""
        return conditional(
            lambda: self._db.update_item(
                TableName=self._table,
                Key=self._key(tenant_id, transcript_id),
                UpdateExpression="SET #s = :processing, task_token = :token",
                ConditionExpression="#s = :queued OR (#s = :processing AND task_token = :token)",
                ExpressionAttributeNames={"#s": "status"},
                ExpressionAttributeValues={
                    ":processing": {"S": Status.processing.value},
                    ":queued": {"S": Status.queued.value},
                    ":token": {"S": task_token},
                },
            ),
            "starting the transcript",
        )

    def task_token(self, tenant_id: str, transcript_id: str) -> Optional[str]:
        """The task token of a job in processing; None for any other state, so a late or
        duplicate notification cannot move a finished job."""
        raw = guarded(
            lambda: self._db.get_item(TableName=self._table, Key=self._key(tenant_id, transcript_id), ConsistentRead=True),
            "reading the transcript",
        )
        item = self._codec.load(raw.get("Item", {}))
        if item.get("status") != Status.processing.value:
            return None
        return item.get("task_token")

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
