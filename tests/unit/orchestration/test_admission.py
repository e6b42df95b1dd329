"""Fair admission and request rates against moto's DynamoDB (the real table adapter, in process)."""
from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import boto3
import pytest
from moto import mock_aws

from chalicelib.orchestration.admission import Admission
from chalicelib.services.limits import RateLimiter, TenantLimits
from chalicelib.storage.admission import AdmissionTable, inflight_counts
from chalicelib.storage.keys import KeysTable
from hark_core.errors import TooManyRequests

REGION = "us-east-1"


@pytest.fixture()
def dynamodb(monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "testing")
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        db = boto3.client("dynamodb", region_name=REGION)
        db.create_table(
            TableName="admission", BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "sk", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        )
        db.create_table(
            TableName="keys", BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[{"AttributeName": "key_hash", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "key_hash", "KeyType": "HASH"}],
        )
        yield OneRequestAtATime(db)


class OneRequestAtATime:
    """The client with each request applied whole before the next, as DynamoDB applies them.
    moto's in-process backend does not: two threads' `ADD` updates of one item can interleave
    and one be lost, which once failed the waiting-count test in a full run of the suite. The
    admitters' requests still interleave with each other, which is what the tests are about."""

    def __init__(self, client: object) -> None:
        self._client = client
        self._lock = threading.RLock()

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._client, name)
        if not callable(attribute):
            return attribute

        def call(*args: Any, **kwargs: Any) -> Any:
            with self._lock:
                return attribute(*args, **kwargs)

        return call


class Endpoint:
    """Records which jobs were handed over, in order."""

    def __init__(self) -> None:
        self.started: list[str] = []
        self.firsts: list[str] = []
        self.refuse: set[str] = set()
        self.broken = False

    def start(self, message: str, first: bool) -> bool:
        if first:
            self.firsts.append(message)
        if self.broken:
            raise RuntimeError("AWS trouble")
        if message in self.refuse:
            return False
        self.started.append(message)
        return True


def _admission(db: object, capacity: int, limit: int = 100) -> tuple[Admission, Endpoint, AdmissionTable]:
    table = AdmissionTable(db, "admission")
    endpoint = Endpoint()
    return Admission(table, capacity, lambda tenant: limit, endpoint.start), endpoint, table


def _submit(admission: Admission, tenant: str, count: int, start: int = 0) -> None:
    for i in range(start, start + count):
        admission.submit(tenant, f"{tenant}-{i:03d}", f"{tenant}-{i:03d}")


def test_a_tenant_alone_gets_every_place(dynamodb: object) -> None:
    admission, endpoint, _ = _admission(dynamodb, capacity=4)
    _submit(admission, "a", 10)
    assert endpoint.started == ["a-000", "a-001", "a-002", "a-003"]  # FIFO, up to capacity


def test_another_tenant_goes_next_not_after_the_burst(dynamodb: object) -> None:
    admission, endpoint, _ = _admission(dynamodb, capacity=4)
    _submit(admission, "a", 100)
    _submit(admission, "b", 1)
    assert "b-000" not in endpoint.started  # every place is taken

    admission.release("a", "a-000")  # the first place to free up goes to b

    assert endpoint.started[-1] == "b-000"
    admission.release("a", "a-001")
    assert endpoint.started[-1] == "a-004"  # b has nothing more waiting: a goes on in order
    # Each tenant's job handed over while it had nothing else at the endpoint is marked, so
    # the container decodes it ahead of the burst's backlog.
    assert endpoint.firsts == ["a-000", "b-000"]


def test_places_alternate_between_tenants_with_work_waiting(dynamodb: object) -> None:
    admission, endpoint, _ = _admission(dynamodb, capacity=2)
    _submit(admission, "a", 6)
    _submit(admission, "b", 6)
    for _ in range(4):
        oldest = endpoint.started[-2]
        tenant, _, _ = oldest.partition("-")
        admission.release(tenant, oldest)
    later = [job.split("-")[0] for job in endpoint.started[2:]]
    assert later.count("b") >= 2 and later.count("a") >= 1


def test_a_tenant_never_holds_more_than_its_limit(dynamodb: object) -> None:
    admission, endpoint, _ = _admission(dynamodb, capacity=8, limit=3)
    _submit(admission, "a", 10)
    assert len(endpoint.started) == 3
    _submit(admission, "b", 2)
    assert endpoint.started[3:] == ["b-000", "b-001"]


def test_concurrent_admitters_never_hand_over_more_than_the_capacity(dynamodb: object) -> None:
    # A burst reaches many Lambdas at once, each seeing free places in the counts it read: the
    # numbered places, taken with conditional writes, are what hold the line to its capacity.
    table = AdmissionTable(dynamodb, "admission")
    endpoint = Endpoint()
    for i in range(12):
        table.enqueue("a", f"a-{i:03d}", f"a-{i:03d}")
    admitters = [Admission(table, 4, lambda tenant: 3, endpoint.start) for _ in range(6)]
    stale = table.state().held  # every admitter read the same places: nothing held yet
    waiting = table.state().active

    for admission in admitters:  # each acts on its stale read, one after another
        job = admission._next(inflight_counts(stale), dict(waiting))
        assert job is not None
        table.hand_over(job, stale, 4, 3)

    assert sum(inflight_counts(table.state().held).values()) <= 3  # within the tenant's limit, not six (fewer: random places collided)
    with ThreadPoolExecutor(6) as pool:
        list(pool.map(lambda admission: admission.admit(), admitters))
    assert sum(inflight_counts(table.state().held).values()) == 3


def test_a_released_job_frees_its_places_for_the_next(dynamodb: object) -> None:
    admission, endpoint, table = _admission(dynamodb, capacity=2)
    _submit(admission, "a", 2)
    _submit(admission, "b", 1)
    assert endpoint.started == ["a-000", "a-001"]

    admission.release("a", "a-000")
    admission.release("a", "a-000")  # a duplicate notification frees nothing more

    assert endpoint.started[-1] == "b-000"
    table.enqueue("c", "c-000", "c-000")
    job = table.oldest("c")
    assert job is not None and table.hand_over(job, {}, 2, 2) is None  # a-001 and b-000 hold both places


def _counting_calls(db: object) -> list[str]:
    calls: list[str] = []
    db.meta.events.register("before-call.dynamodb.*", lambda model, **_: calls.append(model.name))  # type: ignore[attr-defined]
    return calls


@pytest.mark.parametrize("limit", [4, 8])
def test_a_tenant_at_its_limit_pays_few_calls_per_job(dynamodb: object, limit: int) -> None:
    # Every call is a DynamoDB request (money on AWS, CPU shared with the worker on the local
    # stack). Steady state of a tenant's burst: one job finishes, the next is handed over, and
    # the admitter needs no second look to see the tenant is at its limit again. Per finished
    # job: the line's state read (places and who waits), the job's places freed (one
    # transaction), the tenant's oldest job read, the hand-over (one transaction), the
    # queue-depth metric's read.
    admission, endpoint, _ = _admission(dynamodb, capacity=8, limit=limit)
    _submit(admission, "a", 20)
    assert len(endpoint.started) == limit
    calls = _counting_calls(dynamodb)
    for i in range(5):
        admission.release("a", f"a-{i:03d}")
    assert endpoint.started[limit:] == [f"a-{i:03d}" for i in range(limit, limit + 5)]
    assert len(calls) <= 5 * 5, calls
    calls.clear()
    admission.submit("a", "a-100", "a-100")  # queued behind its own tenant's jobs
    assert len(calls) <= 3, calls  # queued and counted, the line's state read, the metric's read


def test_the_waiting_count_the_metric_reports_matches_the_line(dynamodb: object) -> None:
    # The queue-depth metric reads a count kept on the tenant's marker (one read), not the line
    # (every waiting job read on every event): the two must agree through a burst, releases from
    # concurrent admitters, a refused job and a redelivered dispatch.
    table = AdmissionTable(dynamodb, "admission")
    endpoint = Endpoint()
    endpoint.refuse.add("a-005")
    admitters = [Admission(table, 4, lambda tenant: 3, endpoint.start) for _ in range(4)]
    for i in range(30):
        admitters[i % 4].submit("a", f"a-{i:03d}", f"a-{i:03d}")
    admitters[0].submit("a", "a-029", "a-029")
    assert table.waiting("a") == table.waiting_count("a") == 27
    with ThreadPoolExecutor(3) as pool:
        for round_ in range(4):  # the three jobs at the endpoint finish at once, each to its own admitter
            held = endpoint.started[3 * round_ : 3 * round_ + 3]
            list(pool.map(lambda pair: admitters[pair[0]].release("a", pair[1]), enumerate(held)))
            assert table.waiting("a") == table.waiting_count("a")
    assert len(endpoint.started) == 15 and "a-005" not in endpoint.started


def test_a_redelivered_dispatch_is_not_queued_twice(dynamodb: object) -> None:
    admission, endpoint, table = _admission(dynamodb, capacity=1)
    admission.submit("a", "a-1", "a-1")
    admission.submit("a", "a-2", "a-2")
    admission.submit("a", "a-2", "a-2")
    assert table.waiting_count("a") == 1 and table.oldest("a").transcript_id == "a-2"  # type: ignore[union-attr]
    assert table.waiting("a") == 1


def test_a_job_that_needs_no_place_gives_it_to_the_next(dynamodb: object) -> None:
    admission, endpoint, table = _admission(dynamodb, capacity=1)
    endpoint.refuse.add("a-000")  # deleted while it waited
    _submit(admission, "a", 2)
    assert endpoint.started == ["a-001"]
    assert inflight_counts(table.state().held) == {"a": 1}


def test_aws_trouble_puts_the_job_back_and_frees_its_place(dynamodb: object) -> None:
    admission, endpoint, table = _admission(dynamodb, capacity=2)
    endpoint.broken = True
    with pytest.raises(RuntimeError):
        _submit(admission, "a", 1)
    assert table.waiting_count("a") == 1 and table.oldest("a").transcript_id == "a-000"  # type: ignore[union-attr]
    assert table.waiting("a") == 1
    assert inflight_counts(table.state().held) == {}
    endpoint.broken = False
    admission.admit()
    assert endpoint.started == ["a-000"]


def test_queue_position_counts_the_tenants_own_waiting_jobs(dynamodb: object) -> None:
    admission, _, table = _admission(dynamodb, capacity=1)
    _submit(admission, "a", 4)
    assert admission.position("a", "a-000") is None  # at the endpoint
    assert admission.position("a", "a-003") == 2
    assert (table.waiting_count("a"), inflight_counts(table.state().held).get("a")) == (3, 1)


def test_positions_polled_within_a_second_cost_one_read_of_the_line(dynamodb: object) -> None:
    table = AdmissionTable(dynamodb, "admission")
    endpoint = Endpoint()
    now = [100.0]
    admission = Admission(table, 1, lambda tenant: 100, endpoint.start, clock=lambda: now[0])
    _submit(admission, "a", 40)
    reads: list[str] = []
    line_keys, lookup = table.line_keys, table.position
    table.line_keys = lambda *args: reads.append("line") or line_keys(*args)  # type: ignore[method-assign]
    table.position = lambda *args: reads.append("one") or lookup(*args)  # type: ignore[method-assign]

    assert [admission.position("a", f"a-{i:03d}") for i in range(1, 40)] == list(range(39))
    assert admission.position("a", "a-000") is None  # at the endpoint: not in the line
    assert reads == ["line", "one"]
    admission.release("a", "a-000")  # a-001 goes to the endpoint
    assert admission.position("a", "a-039") == 38  # a second old at most
    now[0] += 1.5
    assert admission.position("a", "a-039") == 37
    assert admission.position("a", "a-001") is None


def test_the_rate_limit_answers_with_retry_after_and_spares_other_tenants(dynamodb: object) -> None:
    keys = KeysTable(dynamodb, "keys")
    keys.add_tenant("a", "secret", "2026-12-02")
    keys.set_limits("a", requests_per_second=2)
    limiter = RateLimiter(AdmissionTable(dynamodb, "admission"), TenantLimits(keys, 16, 100))

    with pytest.raises(TooManyRequests) as refused:
        for _ in range(5):  # two a second: the third within one second is refused
            limiter.check("a")
    assert refused.value.status_code == 429
    assert int(refused.value.headers["Retry-After"]) >= 1
    for _ in range(10):
        limiter.check("b")  # b has the stack's default (100 per second)


def test_tenant_limits_come_from_the_key_record_or_the_defaults(dynamodb: object) -> None:
    keys = KeysTable(dynamodb, "keys")
    keys.add_tenant("a", "secret", "2026-12-02")
    keys.set_limits("a", max_concurrent_jobs=3)
    limits = TenantLimits(keys, 16, 20)
    assert (limits.concurrency("a"), limits.requests_per_second("a")) == (3, 20)
    assert limits.concurrency("unknown") == 16


def test_training_takes_turns_in_a_line_of_its_own(dynamodb: object) -> None:
    training = AdmissionTable(dynamodb, "admission", "training")
    started: list[str] = []
    line = Admission(training, 2, lambda tenant: 2, lambda message, first: started.append(message) or True)
    transcripts, _, _ = _admission(dynamodb, capacity=1)
    _submit(transcripts, "a", 3)  # the transcripts line is full; training is not affected

    for i in range(50):
        line.submit("a", f"a-model-{i:02d}", f"a-model-{i:02d}")
    line.submit("b", "b-model-00", "b-model-00")
    line.release("a", "a-model-00")

    assert started == ["a-model-00", "a-model-01", "b-model-00"]


class CountedWrites:
    """The admission table, counting the request-rate writes it makes."""

    def __init__(self, table: AdmissionTable) -> None:
        self._table = table
        self.writes = 0

    def count_request(self, *args: Any) -> float:
        self.writes += 1
        return self._table.count_request(*args)


def test_a_busy_process_counts_its_requests_in_blocks_and_never_past_the_limit(dynamodb: object) -> None:
    keys = KeysTable(dynamodb, "keys")
    now = [1_000_000.0]
    table = CountedWrites(AdmissionTable(dynamodb, "admission"))
    one, other = (RateLimiter(table, TenantLimits(keys, 16, 1000), clock=lambda: now[0]) for _ in range(2))  # type: ignore[arg-type]

    for _ in range(100):
        one.check("a")
    assert table.writes <= 8  # blocks of 1, 2, 4, ... 64
    now[0] += 1  # the next window starts from half of what the last one used
    table.writes = 0
    for _ in range(100):
        one.check("a")
    assert table.writes <= 3

    # Two processes sharing one tenant's window: the limit holds for their sum.
    now[0] += 1
    passed = 0
    for i in range(1100):
        try:
            (one if i % 3 else other).check("a")
            passed += 1
        except TooManyRequests:
            pass
    assert 900 <= passed <= 1000


def test_a_quiet_process_counts_one_by_one(dynamodb: object) -> None:
    keys = KeysTable(dynamodb, "keys")
    now = [2_000_000.0]
    table = CountedWrites(AdmissionTable(dynamodb, "admission"))
    limiter = RateLimiter(table, TenantLimits(keys, 16, 20), clock=lambda: now[0])  # type: ignore[arg-type]
    for _ in range(5):
        limiter.check("a")
        now[0] += 1.5  # one request in each window
    assert table.writes == 5
