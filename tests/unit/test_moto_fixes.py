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


def _transactions() -> list[Any]:
    """Transactions of the kinds the admission table makes, applied and cancelled, on a table with
    a sort key and one without; the answers, and every item after each."""
    from botocore.exceptions import ClientError

    with mock_aws():
        db = boto3.client("dynamodb", region_name="us-east-1")
        db.create_table(
            TableName="t", BillingMode="PAY_PER_REQUEST",
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
            AttributeDefinitions=[{"AttributeName": n, "AttributeType": "S"} for n in ("pk", "sk")],
        )
        db.create_table(
            TableName="h", BillingMode="PAY_PER_REQUEST",
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        )
        db.put_item(TableName="t", Item={"pk": {"S": "line"}, "sk": {"S": "job-1"}})
        db.put_item(TableName="h", Item={"id": {"S": "kept"}, "n": {"N": "1"}})

        def put(table: str, item: dict[str, Any], new: bool = True) -> dict[str, Any]:
            key = "id" if table == "h" else "sk"
            return {"Put": {"TableName": table, "Item": item,
                            **({"ConditionExpression": f"attribute_not_exists({key})"} if new else {})}}

        def take(job: str) -> dict[str, Any]:
            return {"Delete": {"TableName": "t", "Key": {"pk": {"S": "line"}, "sk": {"S": job}},
                               "ConditionExpression": "attribute_exists(sk)"}}

        count = {"Update": {"TableName": "h", "Key": {"id": {"S": "kept"}}, "UpdateExpression": "ADD n :one",
                            "ExpressionAttributeValues": {":one": {"N": "1"}}}}
        place = put("t", {"pk": {"S": "state"}, "sk": {"S": "place#1"}})
        answers: list[Any] = []
        for items in (
            [take("job-1"), place, count],  # applied
            [put("h", {"id": {"S": "new"}}), count, take("job-1")],  # cancelled: the job is gone
            [count, put("t", {"pk": {"S": "state"}, "sk": {"S": "place#2"}}), place],  # cancelled: place taken
            [put("h", {"id": {"S": "kept"}, "n": {"N": "9"}}, new=False), take("job-2")],  # cancelled
        ):
            try:
                db.transact_write_items(TransactItems=items)
                answers.append("applied")
            except ClientError as e:
                answers.append(e.response.get("CancellationReasons"))
            answers.append([sorted(str(i) for i in db.scan(TableName=name)["Items"]) for name in ("t", "h")])
        return answers


def test_a_transaction_backing_up_its_own_items_answers_as_moto_does() -> None:
    from moto.dynamodb.models import DynamoDBBackend

    before = _transactions()
    moto_fixes._transactions_back_up_their_items_only()
    moto_fixes._transactions_back_up_their_items_only()  # once only
    assert _transactions() == before
    assert getattr(DynamoDBBackend.transact_write_items, "_own_items", False)
