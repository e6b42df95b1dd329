"""The local stack's moto fixes change how moto works, never what it answers."""
from __future__ import annotations

from typing import Any

import boto3
from moto import mock_aws
from moto.dynamodb.models.table import Table

from devstack import moto_fixes


def _queries(db: Any) -> list[Any]:
    """Queries of the kinds Hark's tables make: the head of a line, a range read backwards, pages,
    a partition that does not exist."""
    def items(**request: Any) -> Any:
        page = db.query(TableName="t", **request)
        return page["Items"], page.get("LastEvaluatedKey")

    answers: list[Any] = []
    for p in ("p0", "p7", "p19"):
        one = {"KeyConditionExpression": "pk = :p", "ExpressionAttributeValues": {":p": {"S": p}}}
        answers.append(items(**one, Limit=1))
        answers.append(items(
            KeyConditionExpression="pk = :p AND sk <= :s", ScanIndexForward=False, Limit=5,
            ExpressionAttributeValues={":p": {"S": p}, ":s": {"S": "017"}},
        ))
        first, after = items(**one, Limit=7)
        answers.append((first, items(**one, Limit=7, ExclusiveStartKey=after)))
        answers.append(db.query(TableName="t", Select="COUNT", **one)["Count"])
    answers.append(items(KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "none"}}))
    answers.append(items(IndexName="by-v", KeyConditionExpression="v = :v", ExpressionAttributeValues={":v": {"N": "3"}}))
    return answers


def _answers() -> list[Any]:
    with mock_aws():
        db = boto3.client("dynamodb", region_name="us-east-1")
        db.create_table(
            TableName="t", BillingMode="PAY_PER_REQUEST",
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
            AttributeDefinitions=[{"AttributeName": n, "AttributeType": t} for n, t in (("pk", "S"), ("sk", "S"), ("v", "N"))],
            GlobalSecondaryIndexes=[{"IndexName": "by-v", "KeySchema": [{"AttributeName": "v", "KeyType": "HASH"}],
                                     "Projection": {"ProjectionType": "ALL"}}],
        )
        for p in range(20):
            for s in range(30):
                db.put_item(TableName="t", Item={"pk": {"S": f"p{p}"}, "sk": {"S": f"{s:03d}"}, "v": {"N": str(s % 5)}})
        return _queries(db)


def test_a_query_reading_one_partition_answers_as_moto_does() -> None:
    before = _answers()
    moto_fixes._queries_read_one_partition()
    moto_fixes._queries_read_one_partition()  # once only, however often the stack starts
    assert _answers() == before
    assert getattr(Table.query, "_one_partition", False)
