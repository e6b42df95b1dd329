"""Fixes for moto bugs that would make the local stack behave unlike AWS. Each is applied
in the moto server's process only, before it starts; Hark's own code is not changed."""
from __future__ import annotations

from typing import Any


def apply() -> None:
    _send_task_failure_keeps_cause()
    _s3_events_carry_every_documented_field()
    _eventbridge_targets_get_the_account()
    _module_list_read_once()
    _state_machines_parsed_once()
    _interpreter_clients_made_once()
    _queries_read_one_partition()
    _transactions_back_up_their_items_only()
    _requests_apply_whole()


def _send_task_failure_keeps_cause() -> None:
    """moto 5.2.5's SendTaskFailure drops the ``cause`` parameter, so a Catch sees
    ``"Cause": null`` where AWS passes the reason the worker gave."""
    from moto.core.responses import ActionResult, EmptyResult
    from moto.stepfunctions.responses import StepFunctionResponse

    def send_task_failure(self: StepFunctionResponse) -> ActionResult:
        self.stepfunction_backend.send_task_failure(
            self._get_param("taskToken"), error=self._get_param("error"), cause=self._get_param("cause")
        )
        return EmptyResult()

    StepFunctionResponse.send_task_failure = send_task_failure  # type: ignore[method-assign]


def _s3_events_carry_every_documented_field() -> None:
    """moto 5.2.5's S3 event records lack userIdentity, requestParameters,
    responseElements and the bucket's ownerIdentity, which AWS always sends (see "Event
    message structure" in the S3 user guide) and which powertools' S3 model requires."""
    from moto.s3 import notifications

    original = notifications._get_s3_event

    def complete(*args: Any, **kwargs: Any) -> dict[str, list[dict[str, Any]]]:
        event = original(*args, **kwargs)
        for record in event["Records"]:
            record.setdefault("userIdentity", {"principalId": "AWS:LOCAL"})
            record.setdefault("requestParameters", {"sourceIPAddress": "127.0.0.1"})
            record.setdefault("responseElements", {"x-amz-request-id": "LOCAL", "x-amz-id-2": "LOCAL"})
            record["s3"]["bucket"].setdefault("ownerIdentity", {"principalId": "LOCAL"})
        return event

    notifications._get_s3_event = complete


def _eventbridge_targets_get_the_account() -> None:
    """moto 5.2.5's default event template (no InputTransformer) leaves out the event's
    ``account``, which AWS delivers to every target."""
    from moto.events.utils import EventTemplateParser

    EventTemplateParser.DEFAULT_EVENT_INPUT_TEMPLATE = EventTemplateParser.DEFAULT_EVENT_INPUT_TEMPLATE.replace(
        '"version": "0",', '"version": "0", "account": "<account>",'
    )


def _module_list_read_once() -> None:
    """moto's server lists its package directory (≈150 isdir calls) on every request to
    route it; the list never changes while it runs. Read it once: the local stack's own
    overhead competes for the cores with the inference worker it serves."""
    from moto import backends  # the module moto's werkzeug app looks the function up in

    modules = tuple(backends.list_of_moto_modules())
    backends.list_of_moto_modules = lambda: modules  # type: ignore[assignment]


def _state_machines_parsed_once() -> None:
    """moto's Step Functions interpreter parses the ASL (an ANTLR parse, tens of ms) at the
    start of every execution. The parsed program is immutable (evaluation state lives in
    the execution's Environment), so one parse per definition serves every execution."""
    from functools import lru_cache

    from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser
    from moto.stepfunctions.parser.backend.execution_worker import ExecutionWorker

    parse = lru_cache(maxsize=64)(AmazonStateLanguageParser.parse)

    def entrypoint(self: ExecutionWorker) -> Any:
        return parse(self._evaluation_details.state_machine_details.definition)[0]

    ExecutionWorker._get_evaluation_entrypoint = entrypoint  # type: ignore[method-assign]


def _interpreter_clients_made_once() -> None:
    """moto's Step Functions interpreter makes a new boto3 client (≈20 ms of CPU) for every
    Task state it runs; boto3 clients are thread-safe, so one per service and endpoint does."""
    import threading
    from types import SimpleNamespace

    import boto3
    from moto.stepfunctions.parser.asl.utils import boto_client

    made: dict[tuple[Any, ...], Any] = {}
    lock = threading.Lock()  # boto3's default session must not make clients concurrently

    def client(**kwargs: Any) -> Any:
        key = tuple(sorted((k, v) for k, v in kwargs.items() if k != "config"))
        with lock:
            if key not in made:
                made[key] = boto3.client(**kwargs)
            return made[key]

    boto_client.boto3 = SimpleNamespace(client=client)  # type: ignore[attr-defined]


def _queries_read_one_partition() -> None:
    """moto 5.2.5 answers every query by listing and sorting the whole table, then keeping the
    items of one partition, so each query costs CPU in proportion to the table. DynamoDB reads
    the one partition. The admission table is queried several times per job (the line, the
    places, the jobs held), and it and the transcripts table grow through a run: on this
    machine's local stack that CPU is taken from the inference worker. A query of the table's
    own key now reads its partition; queries of an index keep moto's path (they span
    partitions)."""
    import inspect
    import threading

    from moto.dynamodb.models.table import Table

    if getattr(Table.query, "_one_partition", False):
        return
    query, all_items = Table.query, Table.all_items
    signature = inspect.signature(query)
    asked = threading.local()  # moto's server answers requests on several threads

    def partition_items(self: Table) -> Any:
        key = getattr(asked, "partition", None)
        if key is None or key[0] is not self:
            return all_items(self)
        held = self.items.get(key[1])  # not self.items[...]: a defaultdict would add the key
        if held is None:
            return []
        items = list(held.values()) if self.range_key_attr else [held]
        return sorted(items, key=lambda x: (x.hash_key, x.range_key) if x.range_key else x.hash_key)

    def one_partition(self: Table, *args: Any, **kwargs: Any) -> Any:
        bound = signature.bind(self, *args, **kwargs)
        hash_key = bound.arguments.get("hash_key")
        if bound.arguments.get("index_name") or hash_key is None:
            return query(self, *args, **kwargs)
        asked.partition = (self, hash_key)
        try:
            return query(self, *args, **kwargs)
        finally:
            asked.partition = None

    one_partition._one_partition = True  # type: ignore[attr-defined]
    Table.query = one_partition  # type: ignore[method-assign]
    Table.all_items = partition_items  # type: ignore[method-assign]


def _transactions_back_up_their_items_only() -> None:
    """moto 5.2.5's TransactWriteItems deep-copies every table the transaction touches, once per
    item of the transaction, so that it can put the tables back if the transaction is
    cancelled: each transaction costs CPU in proportion to the tables, and putting a whole table
    back also undoes other requests' writes made meanwhile. DynamoDB's transactions touch only
    their items. The admission table takes two or three transactions per job, and it grows
    through a run (waiting jobs, request-rate windows). Now only the transaction's own items are
    saved, and put back if it is cancelled."""
    import copy

    from moto.dynamodb import models
    from moto.dynamodb.exceptions import (
        MockValidationException,
        MultipleTransactionsException,
        TransactionCanceledException,
    )
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.models.dynamo_type import DynamoType
    from moto.dynamodb.models.table import Table

    if getattr(DynamoDBBackend.transact_write_items, "_own_items", False):
        return

    class TablesNotCopied:
        """The `copy` module as moto's backend sees it: a table is not deep-copied (every other
        value is; moto copies an item before an update, for the update's old values)."""

        def __getattr__(self, name: str) -> Any:
            return getattr(copy, name)

        @staticmethod
        def deepcopy(value: Any, *args: Any) -> Any:
            return value if isinstance(value, Table) else copy.deepcopy(value, *args)

    models.copy = TablesNotCopied()  # type: ignore[assignment]
    transact = DynamoDBBackend.transact_write_items

    def own_items(self: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> None:
        saved = []
        for entry in transact_items:
            _, op = next(iter(entry.items()))
            table = self.tables.get(op.get("TableName", ""))
            if table is None:
                continue
            key = op["Key"] if "Key" in op else op.get("Item", {})
            hash_key = DynamoType(key[table.hash_key_attr])
            range_key = DynamoType(key[table.range_key_attr]) if table.range_key_attr else None
            held = table.items.get(hash_key)  # not items[...]: a defaultdict would add the key
            item = held if range_key is None else (held or {}).get(range_key)
            saved.append((table, hash_key, range_key, copy.deepcopy(item)))
        try:
            transact(self, transact_items)
        except (TransactionCanceledException, MultipleTransactionsException, MockValidationException):
            for table, hash_key, range_key, item in saved:
                if range_key is None:
                    table.items.pop(hash_key, None)
                    if item is not None:
                        table.items[hash_key] = item
                elif item is None:
                    table.items.get(hash_key, {}).pop(range_key, None)
                else:
                    table.items[hash_key][range_key] = item
            raise

    own_items._own_items = True  # type: ignore[attr-defined]
    DynamoDBBackend.transact_write_items = own_items  # type: ignore[method-assign]


def _requests_apply_whole() -> None:
    """moto's server answers requests on several threads, and its DynamoDB backend does not apply
    one request whole before another: a transaction's checks and writes, and the items it puts
    back when it is cancelled, interleave with other requests. A cancelled hand-over could then
    put back a place that another job had freed meanwhile, held by a job long finished, and the
    line stayed full until the lease expired. DynamoDB applies each request, a transaction
    included, as one. So does the local stack now: one DynamoDB request at a time."""
    import functools
    import threading

    from moto.dynamodb.models import DynamoDBBackend

    if getattr(DynamoDBBackend.transact_write_items, "_whole", False):
        return
    lock = threading.RLock()  # re-entrant: a transaction calls the backend's own put, update, delete

    def whole(method: Any) -> Any:
        @functools.wraps(method)
        def one_at_a_time(*args: Any, **kwargs: Any) -> Any:
            with lock:
                return method(*args, **kwargs)

        one_at_a_time._whole = True  # type: ignore[attr-defined]
        return one_at_a_time

    for name in (
        "put_item", "get_item", "update_item", "delete_item", "query", "scan",
        "transact_write_items", "transact_get_items", "batch_get_item", "batch_write_item",
    ):
        if hasattr(DynamoDBBackend, name):
            setattr(DynamoDBBackend, name, whole(getattr(DynamoDBBackend, name)))
