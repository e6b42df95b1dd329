"""Tables of jobs (transcripts, custom models): one item per job, keyed (tenant_id, <id>),
so a tenant can only ever address its own records. Ids sort by creation time
(domain.new_id), which gives newest-first listing and before/after paging for free."""
from __future__ import annotations

from typing import Any, Generic, Optional, Protocol, TypeVar

from chalicelib.aws import conditional, guarded
from chalicelib.storage.dynamo import Codec, paginate_query
from hark_core.errors import NotFound


class Record(Protocol):
    def to_item(self) -> dict[str, Any]: ...


R = TypeVar("R", bound=Record)


class JobTable(Generic[R]):
    id_attribute: str
    kind: str  # for messages: "transcript", "custom model"
    running: str  # the status a job is in while a task token is outstanding

    def __init__(self, dynamodb: Any, table_name: str) -> None:
        self._db = dynamodb
        self._table = table_name
        self._codec = Codec()

    def from_item(self, item: dict[str, Any]) -> R:
        raise NotImplementedError

    def _key(self, tenant_id: str, job_id: str) -> dict[str, Any]:
        return {"tenant_id": {"S": tenant_id}, self.id_attribute: {"S": job_id}}

    def create(self, record: R) -> None:
        guarded(
            lambda: self._db.put_item(
                TableName=self._table,
                Item=self._codec.dump(record.to_item()),
                ConditionExpression=f"attribute_not_exists({self.id_attribute})",
            ),
            f"storing the {self.kind}",
        )

    def _item(self, tenant_id: str, job_id: str) -> dict[str, Any]:
        raw = guarded(
            lambda: self._db.get_item(TableName=self._table, Key=self._key(tenant_id, job_id), ConsistentRead=True),
            f"reading the {self.kind}",
        )
        return self._codec.load(raw.get("Item", {}))

    def get(self, tenant_id: str, job_id: str) -> R:
        item = self._item(tenant_id, job_id)
        if not item:
            raise NotFound(f"{self.kind.capitalize()} not found")
        return self.from_item(item)

    def list(
        self,
        tenant_id: str,
        limit: int,
        status: Optional[str] = None,
        before_id: Optional[str] = None,
        after_id: Optional[str] = None,
    ) -> list[R]:
        """Newest first, as AssemblyAI lists."""
        condition = "tenant_id = :t"
        values: dict[str, Any] = {":t": {"S": tenant_id}}
        bound = self.id_attribute
        if before_id and after_id:
            condition += f" AND {bound} BETWEEN :a AND :b"
            values.update({":a": {"S": after_id}, ":b": {"S": before_id}})
        elif before_id:
            condition += f" AND {bound} < :b"
            values[":b"] = {"S": before_id}
        elif after_id:
            condition += f" AND {bound} > :a"
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
            values[":s"] = {"S": status}
        # BETWEEN is inclusive; the API's bounds are not.
        skip = {before_id, after_id} - {None}
        records = (self._codec.load(raw) for raw in paginate_query(self._db, request, limit + len(skip)))
        return [self.from_item(item) for item in records if item[self.id_attribute] not in skip][:limit]

    def start(self, tenant_id: str, job_id: str, task_token: str) -> bool:
        """queued → running, remembering the Step Functions task token. A redelivery of the
        same task (its handler failed part-way) may proceed; anything else is refused (False):
        the job has moved on."""
        return conditional(
            lambda: self._db.update_item(
                TableName=self._table,
                Key=self._key(tenant_id, job_id),
                UpdateExpression="SET #s = :running, task_token = :token",
                ConditionExpression="#s = :queued OR (#s = :running AND task_token = :token)",
                ExpressionAttributeNames={"#s": "status"},
                ExpressionAttributeValues={
                    ":running": {"S": self.running},
                    ":queued": {"S": "queued"},
                    ":token": {"S": task_token},
                },
            ),
            f"starting the {self.kind}",
        )

    def task_token(self, tenant_id: str, job_id: str) -> Optional[str]:
        """The task token of a running job; None for any other state, so a late or duplicate
        notification cannot move a finished job."""
        item = self._item(tenant_id, job_id)
        if item.get("status") != self.running:
            return None
        return item.get("task_token")
