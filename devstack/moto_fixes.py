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
