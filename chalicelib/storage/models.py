"""The custom models table."""
from __future__ import annotations

from typing import Any

from chalicelib.aws import guarded
from chalicelib.storage.jobs import JobTable
from hark_core.records import ModelRecord, ModelStatus


class ModelsTable(JobTable[ModelRecord]):
    id_attribute = "model_id"
    kind = "custom model"
    running = ModelStatus.training.value

    def from_item(self, item: dict[str, Any]) -> ModelRecord:
        return ModelRecord.from_item(item)

    def set_corpus(self, tenant_id: str, model_id: str, key: str, size: int) -> None:
        guarded(
            lambda: self._db.update_item(
                TableName=self._table,
                Key=self._key(tenant_id, model_id),
                UpdateExpression="SET corpus_key = :k, corpus_bytes = :b",
                ExpressionAttributeValues={":k": {"S": key}, ":b": {"N": str(size)}},
            ),
            "recording the corpus",
        )

    def delete(self, tenant_id: str, model_id: str) -> None:
        guarded(
            lambda: self._db.delete_item(TableName=self._table, Key=self._key(tenant_id, model_id)),
            "deleting the custom model",
        )
