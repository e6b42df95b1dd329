"""Shared DynamoDB plumbing for the table adapters."""
from __future__ import annotations

from decimal import Decimal
from typing import Any, Iterator

from chalicelib.aws import guarded


class Codec:
    def __init__(self) -> None:
        # boto3 is imported on first use only (see chalicelib.clients).
        from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

        self._ser = TypeSerializer()
        self._de = TypeDeserializer()

    def dump(self, item: dict[str, Any]) -> dict[str, Any]:
        return {k: self._ser.serialize(_to_dynamo(v)) for k, v in item.items() if v is not None}

    def load(self, raw: dict[str, Any]) -> dict[str, Any]:
        return {k: _from_dynamo(self._de.deserialize(v)) for k, v in raw.items()}

    def value(self, v: Any) -> dict[str, Any]:
        return self._ser.serialize(_to_dynamo(v))


DYNAMO_SMALLEST = 1e-130
"""DynamoDB numbers reach down to 1E-130; a float nearer zero (a client may send 2.2e-311 as a
temperature) is stored as 0 rather than failing the write with a decimal underflow."""


def _to_dynamo(v: Any) -> Any:
    if isinstance(v, float):
        return Decimal(str(v)) if abs(v) >= DYNAMO_SMALLEST else Decimal(0)
    if isinstance(v, dict):
        return {k: _to_dynamo(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_to_dynamo(x) for x in v]
    return v


def _from_dynamo(v: Any) -> Any:
    if isinstance(v, Decimal):
        return int(v) if v == v.to_integral_value() else float(v)
    if isinstance(v, dict):
        return {k: _from_dynamo(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_from_dynamo(x) for x in v]
    return v


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
