"""Shared DynamoDB plumbing for the table adapters."""
from __future__ import annotations

from typing import Any, Iterator

from chalicelib.aws import guarded
from hark_core.records import from_stored, to_stored


class Codec:
    def __init__(self) -> None:
        # boto3 is imported on first use only (see chalicelib.clients).
        from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

        self._ser = TypeSerializer()
        self._de = TypeDeserializer()

    def dump(self, item: dict[str, Any]) -> dict[str, Any]:
        return {k: self._ser.serialize(to_stored(v)) for k, v in item.items() if v is not None}

    def load(self, raw: dict[str, Any]) -> dict[str, Any]:
        return {k: from_stored(self._de.deserialize(v)) for k, v in raw.items()}

    def value(self, v: Any) -> dict[str, Any]:
        return self._ser.serialize(to_stored(v))


def paginate_query(dynamodb: Any, request: dict[str, Any], limit: int) -> Iterator[dict[str, Any]]:
    """Yields raw items of a Query until ``limit`` items passed its filter."""
    seen = 0
    while True:
        page = guarded(lambda: dynamodb.query(**request), "listing records")
        for raw in page.get("Items", []):
            yield raw
            seen += 1
            if seen >= limit:
                return
        if "LastEvaluatedKey" not in page:
            return
        request = {**request, "ExclusiveStartKey": page["LastEvaluatedKey"]}
