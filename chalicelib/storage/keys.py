"""The API keys table: SHA-256 of a key → its tenant. Keys themselves are never stored."""
from __future__ import annotations

from typing import Any, Optional

from chalicelib.aws import conditional, guarded
from chalicelib.storage.dynamo import Codec


class KeysTable:
    def __init__(self, dynamodb: Any, table_name: str) -> None:
        self._db = dynamodb
        self._table = table_name
        self._codec = Codec()

    def put(self, key_hash: str, tenant_id: str, created: str, expires_at: Optional[int] = None) -> None:
        """``expires_at`` (Unix seconds) makes a temporary credential: the table's TTL removes
        it some time after, and `hark_core.keys.tenant_of` refuses it from that second on."""
        item: dict[str, Any] = {"key_hash": key_hash, "tenant_id": tenant_id, "created": created}
        if expires_at is not None:
            item["expires_at"] = expires_at
        guarded(
            lambda: self._db.put_item(TableName=self._table, Item=self._codec.dump(item)),
            "storing the API key",
        )

    def key(self, key_hash: str) -> dict[str, Any]:
        """The key's item (tenant_id, and expires_at for a temporary token); {} if there is none."""
        raw = guarded(
            lambda: self._db.get_item(TableName=self._table, Key={"key_hash": {"S": key_hash}}),
            "checking the API key",
        )
        return self._codec.load(raw.get("Item", {}))

    # A tenant's own item lives in the same table under a key no SHA-256 hex digest can take.
    _TENANT = "tenant#"

    def add_tenant(self, tenant_id: str, webhook_secret: str, created: str) -> None:
        """Registers the tenant once; a tenant that exists keeps its secret."""
        item = {"key_hash": self._TENANT + tenant_id, "tenant_id": tenant_id, "webhook_secret": webhook_secret, "created": created}
        conditional(
            lambda: self._db.put_item(
                TableName=self._table, Item=self._codec.dump(item), ConditionExpression="attribute_not_exists(key_hash)"
            ),
            "registering the tenant",
        )

    def tenant(self, tenant_id: str) -> Optional[dict[str, Any]]:
        raw = guarded(
            lambda: self._db.get_item(TableName=self._table, Key={"key_hash": {"S": self._TENANT + tenant_id}}),
            "reading the tenant",
        )
        return self._codec.load(raw["Item"]) if "Item" in raw else None

    def set_limits(
        self, tenant_id: str, max_concurrent_jobs: Optional[int] = None, requests_per_second: Optional[float] = None
    ) -> None:
        """A tenant's own limits (an operator's call; the stack's defaults apply where unset)."""
        values = {"max_concurrent_jobs": max_concurrent_jobs, "requests_per_second": requests_per_second}
        given = {k: v for k, v in values.items() if v is not None}
        if not given:
            return
        guarded(
            lambda: self._db.update_item(
                TableName=self._table,
                Key={"key_hash": {"S": self._TENANT + tenant_id}},
                UpdateExpression="SET " + ", ".join(f"{k} = :{k}" for k in given),
                ExpressionAttributeValues={f":{k}": self._codec.value(v) for k, v in given.items()},
            ),
            "setting the tenant's limits",
        )
