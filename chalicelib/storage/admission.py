"""The admission table: transcript jobs waiting for the inference endpoint, the jobs it holds, and
each tenant's request budget. One table, keyed (pk, sk):

    <line>:waiting#<tenant> / <job id>            a job waiting its turn (the dispatch message);
                                                  ids sort by creation, so a tenant's line is FIFO
    <line>:state / active#<tenant>                a tenant with jobs waiting (+ last admission, how many)
    <line>:state / place#<n>                      one of the line's `capacity` places, held by a job
                                                  handed over (to the endpoint, to training) as a
                                                  lease: the job, its tenant, its tenant's place
                                                  (who waits and who holds what: one query reads both)
    <line>:place#<tenant> / <n>                   one of the tenant's `limit` places, held by a job
    rate / <tenant>#<window>                      the tenant's requests in one window of time

Every write that hands out something (a waiting job, a place, a request) is conditional, so
concurrent Lambdas never take the same job twice or count past a limit: a job is handed over only
once it holds one of the line's numbered places and (when its tenant's limit is below the line's
capacity) one of its tenant's, each taken with a put that fails if another job holds it (a count
read first and acted on later would let a burst of Lambdas, each seeing a free place, admit far
past the capacity). A hand-over is one transaction: the job leaves its line, takes its places and
is counted out of its tenant's waiting jobs, all or nothing, so no admitter that dies half-way
leaves a job neither waiting nor held, and a job costs three writes fewer than one request each.
Leases expire: a job whose release was lost (a crash between hand-off and completion) stops
counting after `LEASE_S`.
"""
from __future__ import annotations

import random
import sys
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any, Optional

from chalicelib.aws import conditional, error_code, guarded, transaction
from chalicelib.storage.dynamo import Codec, paginate_query
from hark_core.errors import ServiceUnavailable

# The transcript state machine gives a job 4 hours; a lease outlives it a little.
LEASE_S = 4 * 3600 + 600
MAX_ITEMS = 100_000


@dataclass(frozen=True)
class Places:
    """The numbered places a handed-over job holds: one of the line's, and one of its tenant's."""

    line: int
    tenant: Optional[int]
    """None when the tenant's limit is no less than the line's capacity: the line's place bounds it."""


@dataclass(frozen=True)
class Lease:
    """A job holding one of the line's places."""

    tenant_id: str
    transcript_id: str
    tenant_place: Optional[int]


Held = dict[int, Lease]
"""The line's places that are held (unexpired), by number."""


@dataclass(frozen=True)
class LineState:
    """Who holds the line's places, and which tenants have jobs waiting (tenant → its marker:
    enqueued, last_admitted, waiting)."""

    held: Held
    active: dict[str, dict[str, Any]]


def inflight_counts(held: Held) -> dict[str, int]:
    """Tenant → jobs it has at the endpoint."""
    return dict(Counter(lease.tenant_id for lease in held.values()))


@dataclass(frozen=True)
class WaitingJob:
    tenant_id: str
    transcript_id: str
    sort_key: str
    message: str
    """The dispatch message (task token and job), as JSON."""


class AdmissionTable:
    def __init__(self, dynamodb: Any, table_name: str, line: str = "transcripts") -> None:
        """`line`: which work waits (transcripts, training); each has its own keys."""
        self._db = dynamodb
        self._table = table_name
        self._codec = Codec()
        self._line = line

    # --- waiting jobs -------------------------------------------------------------------------

    def enqueue(self, tenant_id: str, transcript_id: str, message: str) -> bool:
        """Adds a waiting job and counts it on its tenant's marker, in one transaction; False if it
        is already waiting (a redelivered dispatch message)."""
        cancelled = transaction(
            lambda: self._db.transact_write_items(TransactItems=[
                {"Put": {
                    "TableName": self._table,
                    "Item": self._waiting_item(WaitingJob(tenant_id, transcript_id, transcript_id, message)),
                    "ConditionExpression": "attribute_not_exists(sk)",
                }},
                {"Update": self._mark_active_update(tenant_id, 1)},
            ]),
            "queueing the job",
        )
        if not cancelled:
            return True
        if cancelled[0] != "ConditionalCheckFailed":
            raise ServiceUnavailable("queueing the job failed; try again")
        self._mark_active(tenant_id, 0)  # see `retire`: the marker must not be removed under it
        return False

    def _waiting_item(self, job: WaitingJob) -> dict[str, Any]:
        """A job's item in its tenant's line (queued, or put back at its head)."""
        return self._codec.dump(
            {"pk": self._waiting_key(job.tenant_id), "sk": job.sort_key, "message": job.message,
             "tenant_id": job.tenant_id, "transcript_id": job.transcript_id}
        )

    def _waiting_key(self, tenant_id: str) -> str:
        """The partition of a tenant's waiting jobs in this line."""
        return f"{self._line}:waiting#{tenant_id}"

    def _mark_active(self, tenant_id: str, joined: int) -> None:
        """Marks the tenant as having work waiting; `joined` jobs are added to its count."""
        guarded(lambda: self._db.update_item(**self._mark_active_update(tenant_id, joined)), "queueing the job")

    def _mark_active_update(self, tenant_id: str, joined: int) -> dict[str, Any]:
        # The marker carries the time of the latest enqueue, so a `retire` that read the tenant's
        # line as empty before this job arrived does not remove it (see `retire`). Its `waiting`
        # count is what the queue-depth metric reports: kept by the writes that happen anyway,
        # where counting the line would read every waiting job on every event.
        return {
            "TableName": self._table, "Key": self._marker(tenant_id),
            "UpdateExpression": "SET enqueued = :now ADD waiting :joined",
            "ExpressionAttributeValues": {":now": {"N": repr(time.time())}, ":joined": {"N": str(joined)}},
        }

    def _marker(self, tenant_id: str) -> dict[str, Any]:
        """The key of a tenant's active marker."""
        return {"pk": {"S": f"{self._line}:state"}, "sk": {"S": f"active#{tenant_id}"}}

    def _place(self, number: int) -> dict[str, Any]:
        """The key of one of the line's places."""
        return {"pk": {"S": f"{self._line}:state"}, "sk": {"S": f"place#{number:06d}"}}

    def state(self) -> LineState:
        """The line's places that jobs hold (unexpired leases) and its active tenants, in one query."""
        now = time.time()
        held: Held = {}
        active: dict[str, dict[str, Any]] = {}
        for raw in paginate_query(
            self._db,
            {"TableName": self._table, "KeyConditionExpression": "pk = :p",
             "ExpressionAttributeValues": {":p": {"S": f"{self._line}:state"}}, "ConsistentRead": True},
            MAX_ITEMS,
        ):
            kind, _, name = raw["sk"]["S"].partition("#")
            item = self._codec.load(raw)
            if kind == "active":
                if "enqueued" in raw:
                    item["enqueued_raw"] = raw["enqueued"]["N"]  # compared exactly in `retire`
                active[name] = item
            elif kind == "place" and float(item.get("expires_at", 0)) > now:
                tenant_id, _, transcript_id = str(item["holder"]).rpartition("#")
                tenant_place = item.get("tenant_place")
                held[int(name)] = Lease(tenant_id, transcript_id, None if tenant_place is None else int(tenant_place))
        return LineState(held, active)

    def oldest(self, tenant_id: str) -> Optional[WaitingJob]:
        raw = guarded(
            lambda: self._db.query(
                TableName=self._table, KeyConditionExpression="pk = :p",
                ExpressionAttributeValues={":p": {"S": self._waiting_key(tenant_id)}}, Limit=1, ConsistentRead=True,
            ),
            "reading the queue",
        ).get("Items", [])
        if not raw:
            return None
        item = self._codec.load(raw[0])
        return WaitingJob(tenant_id, item["transcript_id"], item["sk"], item["message"])

    def waiting_count(self, tenant_id: str) -> int:
        """The tenant's waiting jobs, counted in the line itself (every job read by DynamoDB):
        the exact figure `waiting` keeps on the marker without that cost."""
        request: dict[str, Any] = {
            "TableName": self._table, "KeyConditionExpression": "pk = :p", "Select": "COUNT",
            "ExpressionAttributeValues": {":p": {"S": self._waiting_key(tenant_id)}},
        }
        total = 0
        while True:
            page = guarded(lambda: self._db.query(**request), "counting the queue")
            total += int(page.get("Count", 0))
            if "LastEvaluatedKey" not in page:
                return total
            request = {**request, "ExclusiveStartKey": page["LastEvaluatedKey"]}

    @property
    def line(self) -> str:
        return self._line

    def position(self, tenant_id: str, job_id: str) -> Optional[int]:
        """How many of the tenant's waiting jobs are ahead of `job_id` (None: it is not waiting),
        in one query: the line's keys up to the job's own, which is the last of them if it waits.
        (Asked on every poll of a queued transcript; two requests, a look-up and a count, cost the
        same reads and twice the calls.)"""
        request: dict[str, Any] = {
            "TableName": self._table, "KeyConditionExpression": "pk = :p AND sk <= :job",
            "ExpressionAttributeValues": {":p": {"S": self._waiting_key(tenant_id)}, ":job": {"S": job_id}},
            "ProjectionExpression": "sk", "ConsistentRead": True,
        }
        keys = [raw["sk"]["S"] for raw in paginate_query(self._db, request, sys.maxsize)]
        return len(keys) - 1 if keys and keys[-1] == job_id else None

    def line_keys(self, tenant_id: str, most: int) -> list[str]:
        """The ids of the tenant's first `most` waiting jobs, in line order."""
        request: dict[str, Any] = {
            "TableName": self._table, "KeyConditionExpression": "pk = :p",
            "ExpressionAttributeValues": {":p": {"S": self._waiting_key(tenant_id)}},
            "ProjectionExpression": "sk", "ConsistentRead": True, "Limit": most,
        }
        return [raw["sk"]["S"] for raw in paginate_query(self._db, request, most)]

    def put_back(self, job: WaitingJob) -> None:
        """Returns a job taken from the line to its head, counted as waiting again."""
        guarded(
            lambda: self._db.put_item(
                TableName=self._table,
                Item=self._waiting_item(job),
            ),
            "putting the job back in the queue",
        )
        # (Also marks the tenant again: another admitter may have seen the line empty meanwhile.)
        self._mark_active(job.tenant_id, 1)

    def retire(self, tenant_id: str, marker: dict[str, Any]) -> None:
        """Removes a tenant from the active set, unless a job was queued since `marker` was read.
        (A marker a hand-over wrote after its retirement has no enqueue time: it goes as well.)"""
        seen = marker.get("enqueued_raw")
        try:
            conditional(
                lambda: self._db.delete_item(
                    TableName=self._table, Key=self._marker(tenant_id),
                    **({"ConditionExpression": "attribute_not_exists(enqueued)"} if seen is None else {
                        "ConditionExpression": "enqueued = :seen", "ExpressionAttributeValues": {":seen": {"N": seen}}
                    }),
                ),
                "updating the queue",
            )
        except ServiceUnavailable as e:
            # A transaction (a hand-over, an enqueue) is writing the marker: the tenant is busy, and
            # a marker left behind only costs the next admitter one look at an empty line.
            if error_code(e) != "TransactionConflictException":
                raise

    def waiting(self, tenant_id: str) -> int:
        """The tenant's waiting jobs as its marker counts them: one read, however long the line.
        (Exact: a job is queued and counted in one transaction, and handed over and counted out
        in another; a marker is removed, and its count with it, whenever the line is found empty.)"""
        raw = guarded(
            lambda: self._db.get_item(
                TableName=self._table, Key=self._marker(tenant_id),
                ProjectionExpression="waiting", ConsistentRead=True,
            ),
            "reading the queue",
        )
        return max(0, int(raw.get("Item", {}).get("waiting", {}).get("N", "0")))

    # --- jobs held by the endpoint --------------------------------------------------------------

    def hand_over(self, job: WaitingJob, held: Held, capacity: int, limit: int) -> Optional[Places]:
        """Takes the job out of its line into a free place of the line's `capacity` and of its
        tenant's `limit`, as `held` shows them, in one transaction; None when another admitter got
        the job or a place first (read `held` again). A tenant allowed the whole line (the
        template's default) needs no place of its own: the line's is the bound."""
        line_free = [n for n in range(capacity) if n not in held]
        tenant_taken = {lease.tenant_place for lease in held.values() if lease.tenant_id == job.tenant_id}
        tenant_free = [n for n in range(limit) if n not in tenant_taken]
        if not line_free or (limit < capacity and not tenant_free):
            return None
        # At random: concurrent admitters that read the same free places then mostly take
        # different ones, instead of all failing on the lowest.
        places = Places(random.choice(line_free), random.choice(tenant_free) if limit < capacity else None)
        now = time.time()
        holder = f"{job.tenant_id}#{job.transcript_id}"
        lease = {"holder": holder, "expires_at": int(now + LEASE_S)}
        free = {
            "ConditionExpression": "attribute_not_exists(sk) OR expires_at < :now",
            "ExpressionAttributeValues": {":now": {"N": str(int(now))}},
        }
        items: list[dict[str, Any]] = [
            {"Delete": {
                "TableName": self._table,
                "Key": {"pk": {"S": self._waiting_key(job.tenant_id)}, "sk": {"S": job.sort_key}},
                "ConditionExpression": "attribute_exists(sk)",
            }},
            {"Put": {
                "TableName": self._table,
                "Item": {**self._place(places.line), **self._codec.dump(
                    {**lease, **({} if places.tenant is None else {"tenant_place": places.tenant})}
                )},
                **free,
            }},
            # When (the tie-break between tenants), and one job fewer waiting.
            {"Update": {
                "TableName": self._table, "Key": self._marker(job.tenant_id),
                "UpdateExpression": "SET last_admitted = :now ADD waiting :gone",
                "ExpressionAttributeValues": {":now": {"N": repr(now)}, ":gone": {"N": "-1"}},
            }},
        ]
        if places.tenant is not None:
            items.append({"Put": {
                "TableName": self._table,
                "Item": self._codec.dump({"pk": f"{self._line}:place#{job.tenant_id}", "sk": f"{places.tenant:06d}", **lease}),
                **free,
            }})
        cancelled = transaction(lambda: self._db.transact_write_items(TransactItems=items), "admitting the job")
        return None if cancelled else places

    def give_back(self, tenant_id: str, transcript_id: str, places: Places) -> None:
        """Frees the job's places (those it still holds: after an expiry another job may)."""
        holder = {":job": {"S": f"{tenant_id}#{transcript_id}"}}
        keys = [self._place(places.line)]
        if places.tenant is not None:
            keys.append({"pk": {"S": f"{self._line}:place#{tenant_id}"}, "sk": {"S": f"{places.tenant:06d}"}})
        deletes = [
            {"Delete": {"TableName": self._table, "Key": key, "ConditionExpression": "holder = :job",
                        "ExpressionAttributeValues": holder}}
            for key in keys
        ]
        if not transaction(lambda: self._db.transact_write_items(TransactItems=deletes), "releasing the job"):
            return
        for key in keys:  # one of them is another job's now: free the other alone
            conditional(
                lambda: self._db.delete_item(
                    TableName=self._table, Key=key, ConditionExpression="holder = :job", ExpressionAttributeValues=holder
                ),
                "releasing the job",
            )

    def release(self, tenant_id: str, transcript_id: str) -> LineState:
        """Ends a job's lease and frees its places (nothing if it held none: a duplicate
        notification); returns the line's state after it, for the admission that follows."""
        state = self.state()
        number = next(
            (n for n, lease in state.held.items() if (lease.tenant_id, lease.transcript_id) == (tenant_id, transcript_id)),
            None,
        )
        if number is None:
            return state
        self.give_back(tenant_id, transcript_id, Places(number, state.held[number].tenant_place))
        return LineState({n: lease for n, lease in state.held.items() if n != number}, state.active)

    # --- request rate ---------------------------------------------------------------------------

    def count_request(
        self, tenant_id: str, allowed: int, window_s: int, take: int = 1, now: Optional[float] = None
    ) -> float:
        """Counts `take` requests in the tenant's current window of `window_s` seconds; returns 0
        when they fit within `allowed`, else the seconds until the next window. One atomic
        conditional update: concurrent requests never overrun the limit (a fixed window, so a
        tenant may send up to twice `allowed` across a window boundary)."""
        now = time.time() if now is None else now
        window = int(now // window_s)
        take = max(1, min(take, allowed))  # more than the window allows would pass a new window's first
        counted = conditional(
            lambda: self._db.update_item(
                TableName=self._table,
                Key={"pk": {"S": "rate"}, "sk": {"S": f"{tenant_id}#{window}"}},
                UpdateExpression="ADD requests :take SET expires_at = if_not_exists(expires_at, :expires)",
                ConditionExpression="attribute_not_exists(requests) OR requests <= :most",
                ExpressionAttributeValues={
                    ":take": {"N": str(take)}, ":most": {"N": str(allowed - take)},
                    ":expires": {"N": str(int(now) + 3600)},
                },
            ),
            "checking the request rate",
        )
        return 0.0 if counted else (window + 1) * window_s - now
