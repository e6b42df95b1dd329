"""The API keys table: SHA-256 of a key → its tenant. Keys themselves are never stored."""
from __future__ import annotations

from typing import Any, Optional

from chalicelib.aws import guarded
from chalicelib.storage.dynamo import Codec


class KeysTable:
    def __init__(self, dynamodb: Any, table_name: str) -> None:
        self._db = dynamodb
        self._table = table_name
        self._codec = Codec()

    def put(self, key_hash: str, tenant_id: str, created: str) -> None:
        item = {"key_hash": key_hash, "tenant_id": tenant_id, "created": created}
        guarded(
            lambda: self._db.put_item(TableName=self._table, Item=self._codec.dump(item)),
            "storing the API key",
        )

    def tenant_for(self, key_hash: str) -> Optional[str]:
        raw = guarded(
            lambda: self._db.get_item(TableName=self._table, Key={"key_hash": {"S": key_hash}}),
            "checking the API key",
        )
        item = self._codec.load(raw.get("Item", {}))
        return item.get("tenant_id")
