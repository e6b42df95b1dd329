"""The admission table: transcript jobs waiting for the inference endpoint, the jobs it holds, and
each tenant's request budget. One table, keyed (pk, sk):

    <line>:waiting#<tenant> / <job id>            a job waiting its turn (the dispatch message);
                                                  ids sort by creation, so a tenant's line is FIFO
    <line>:active / <tenant>                      a tenant with jobs waiting (+ last admission, how many)
    <line>:inflight / <tenant>#<job id>           a job handed over (to the endpoint, to training)
                                                  as a lease, naming the places it holds
    <line>:place / <n>                            one of the line's `capacity` places, held by a job
    <line>:place#<tenant> / <n>                   one of the tenant's `limit` places, held by a job
    rate / <tenant>#<window>                      the tenant's requests in one window of time

Every write that hands out something (a waiting job, a place, a request) is conditional, so
concurrent Lambdas never take the same job twice or count past a limit: a job is handed over only
once it holds one of the line's numbered places and (when its tenant's limit is below the line's
capacity) one of its tenant's, each taken with a put
that fails if another job holds it (a count read first and acted on later would let a burst of
Lambdas, each seeing a free place, admit far past the capacity). Leases expire: a job whose release was lost
(a crash between hand-off and completion) stops counting after `LEASE_S`.
"""
from __future__ import annotations

import random
import sys
import time
from dataclasses import dataclass
from typing import Any, Optional

from chalicelib.aws import conditional, guarded
from chalicelib.storage.dynamo import Codec, paginate_query

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
        """Adds a waiting job; False if it is already waiting (a redelivered dispatch message)."""
        added = conditional(
            lambda: self._db.put_item(
                TableName=self._table,
                Item=self._codec.dump(
                    {"pk": f"{self._line}:waiting#{tenant_id}", "sk": transcript_id, "message": message,
                     "tenant_id": tenant_id, "transcript_id": transcript_id}
                ),
                ConditionExpression="attribute_not_exists(sk)",
            ),
            "queueing the job",
        )
        self._mark_active(tenant_id, 1 if added else 0)
        return added

    def _mark_active(self, tenant_id: str, joined: int) -> None:
        """Marks the tenant as having work waiting; `joined` jobs are added to its count."""
        # The marker carries the time of the latest enqueue, so a `retire` that read the tenant's
        # line as empty before this job arrived does not remove it (see `retire`). Its `waiting`
        # count is what the queue-depth metric reports: kept by the writes that happen anyway,
        # where counting the line would read every waiting job on every event.
        guarded(
            lambda: self._db.update_item(
                TableName=self._table,
                Key=self._marker(tenant_id),
                UpdateExpression="SET enqueued = :now ADD waiting :joined",
                ExpressionAttributeValues={":now": {"N": repr(time.time())}, ":joined": {"N": str(joined)}},
            ),
            "queueing the job",
        )

    def _marker(self, tenant_id: str) -> dict[str, Any]:
        """The key of a tenant's active marker."""
        return {"pk": {"S": f"{self._line}:active"}, "sk": {"S": tenant_id}}

    def active(self) -> dict[str, dict[str, Any]]:
        """Tenants with jobs waiting: tenant → marker (enqueued, last_admitted)."""
        items = paginate_query(
            self._db, {"TableName": self._table, "KeyConditionExpression": "pk = :p",
                       "ExpressionAttributeValues": {":p": {"S": f"{self._line}:active"}}, "ConsistentRead": True},
            MAX_ITEMS,
        )
        out = {}
        for raw in items:
            item = self._codec.load(raw)
            item["enqueued_raw"] = raw.get("enqueued", {}).get("N", "0")  # compared exactly in `retire`
            out[item["sk"]] = item
        return out

    def oldest(self, tenant_id: str) -> Optional[WaitingJob]:
        raw = guarded(
            lambda: self._db.query(
                TableName=self._table, KeyConditionExpression="pk = :p",
                ExpressionAttributeValues={":p": {"S": f"{self._line}:waiting#{tenant_id}"}}, Limit=1, ConsistentRead=True,
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
            "ExpressionAttributeValues": {":p": {"S": f"{self._line}:waiting#{tenant_id}"}},
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
            "ExpressionAttributeValues": {":p": {"S": f"{self._line}:waiting#{tenant_id}"}, ":job": {"S": job_id}},
            "ProjectionExpression": "sk", "ConsistentRead": True,
        }
        keys = [raw["sk"]["S"] for raw in paginate_query(self._db, request, sys.maxsize)]
        return len(keys) - 1 if keys and keys[-1] == job_id else None

    def line_keys(self, tenant_id: str, most: int) -> list[str]:
        """The ids of the tenant's first `most` waiting jobs, in line order."""
        request: dict[str, Any] = {
            "TableName": self._table, "KeyConditionExpression": "pk = :p",
            "ExpressionAttributeValues": {":p": {"S": f"{self._line}:waiting#{tenant_id}"}},
            "ProjectionExpression": "sk", "ConsistentRead": True, "Limit": most,
        }
        return [raw["sk"]["S"] for raw in paginate_query(self._db, request, most)]

    def claim(self, job: WaitingJob) -> bool:
        """Takes a waiting job out of the line; False if another admitter took it first."""
        return conditional(
            lambda: self._db.delete_item(
                TableName=self._table, Key={"pk": {"S": f"{self._line}:waiting#{job.tenant_id}"}, "sk": {"S": job.sort_key}},
                ConditionExpression="attribute_exists(sk)",
            ),
            "taking the job from the queue",
        )

    def put_back(self, job: WaitingJob, counted_out: bool) -> None:
        """Returns a claimed job to the head of its line. `counted_out`: its `admitted` had
        already taken it off the tenant's waiting count."""
        guarded(
            lambda: self._db.put_item(
                TableName=self._table,
                Item=self._codec.dump(
                    {"pk": f"{self._line}:waiting#{job.tenant_id}", "sk": job.sort_key, "message": job.message,
                     "tenant_id": job.tenant_id, "transcript_id": job.transcript_id}
                ),
            ),
            "putting the job back in the queue",
        )
        # (Also marks the tenant again: another admitter may have seen the line empty meanwhile.)
        self._mark_active(job.tenant_id, 1 if counted_out else 0)

    def retire(self, tenant_id: str, marker: dict[str, Any]) -> None:
        """Removes a tenant from the active set, unless a job was queued since `marker` was read."""
        conditional(
            lambda: self._db.delete_item(
                TableName=self._table, Key=self._marker(tenant_id),
                ConditionExpression="enqueued = :seen",
                ExpressionAttributeValues={":seen": {"N": marker.get("enqueued_raw", "0")}},
            ),
            "updating the queue",
        )

    def admitted(self, tenant_id: str) -> None:
        """Notes a hand-over on the tenant's marker: when (the tie-break between tenants), and one
        job fewer waiting."""
        conditional(
            lambda: self._db.update_item(
                TableName=self._table, Key=self._marker(tenant_id),
                UpdateExpression="SET last_admitted = :now ADD waiting :gone",
                ConditionExpression="attribute_exists(sk)",
                ExpressionAttributeValues={":now": {"N": repr(time.time())}, ":gone": {"N": "-1"}},
            ),
            "updating the queue",
        )

    def waiting(self, tenant_id: str) -> int:
        """The tenant's waiting jobs as its marker counts them: one read, however long the line.
        (Exact while no admitter dies between taking a job and handing it over; a marker is
        removed, and its count with it, whenever the tenant's line is found empty.)"""
        raw = guarded(
            lambda: self._db.get_item(
                TableName=self._table, Key=self._marker(tenant_id),
                ProjectionExpression="waiting", ConsistentRead=True,
            ),
            "reading the queue",
        )
        return max(0, int(raw.get("Item", {}).get("waiting", {}).get("N", "0")))

    # --- jobs held by the endpoint --------------------------------------------------------------

    def inflight(self) -> dict[str, int]:
        """Tenant → jobs the endpoint holds (unexpired leases)."""
        items = paginate_query(
            self._db, {"TableName": self._table, "KeyConditionExpression": "pk = :p",
                       "ExpressionAttributeValues": {":p": {"S": f"{self._line}:inflight"}}, "ConsistentRead": True},
            MAX_ITEMS,
        )
        now = time.time()
        counts: dict[str, int] = {}
        for item in (self._codec.load(raw) for raw in items):
            if float(item.get("expires_at", 0)) > now:
                counts[item["tenant_id"]] = counts.get(item["tenant_id"], 0) + 1
        return counts

    def take_places(self, tenant_id: str, transcript_id: str, capacity: int, limit: int) -> Optional[Places]:
        """One of the line's `capacity` places and one of the tenant's `limit` places for the job,
        or None when either is full. A place is free when no job holds it or its holder's lease
        has expired. A tenant allowed the whole line (the template's default) needs no place of
        its own: the line's is the bound, and two writes and a read per job are saved."""
        if limit >= capacity:
            line_place = self._take_place(f"{self._line}:place", capacity, tenant_id, transcript_id)
            return None if line_place is None else Places(line_place, None)
        # The tenant's place first: for a tenant with a burst it is the one that is full, and
        # finding that out first costs no line place taken and given back.
        tenant_place = self._take_place(f"{self._line}:place#{tenant_id}", limit, tenant_id, transcript_id)
        if tenant_place is None:
            return None
        line_place = self._take_place(f"{self._line}:place", capacity, tenant_id, transcript_id)
        if line_place is None:
            self._free_place(f"{self._line}:place#{tenant_id}", tenant_place, tenant_id, transcript_id)
            return None
        return Places(line_place, tenant_place)

    def give_back(self, tenant_id: str, transcript_id: str, places: Places) -> None:
        self._free_place(f"{self._line}:place", places.line, tenant_id, transcript_id)
        if places.tenant is not None:
            self._free_place(f"{self._line}:place#{tenant_id}", places.tenant, tenant_id, transcript_id)

    def _take_place(self, pk: str, count: int, tenant_id: str, transcript_id: str) -> Optional[int]:
        now = time.time()
        held = {
            int(item["sk"])
            for item in (
                self._codec.load(raw)
                for raw in paginate_query(
                    self._db,
                    {"TableName": self._table, "KeyConditionExpression": "pk = :p",
                     "ExpressionAttributeValues": {":p": {"S": pk}}, "ConsistentRead": True},
                    MAX_ITEMS,
                )
            )
            if float(item.get("expires_at", 0)) > now
        }
        free = [n for n in range(count) if n not in held]
        # In random order: concurrent admitters that read the same free places then mostly try
        # different ones, instead of all failing on the lowest but one.
        random.shuffle(free)
        for number in free:
            taken = conditional(
                lambda: self._db.put_item(
                    TableName=self._table,
                    Item=self._codec.dump(
                        {"pk": pk, "sk": f"{number:06d}", "holder": f"{tenant_id}#{transcript_id}",
                         "expires_at": int(now + LEASE_S)}
                    ),
                    ConditionExpression="attribute_not_exists(sk) OR expires_at < :now",
                    ExpressionAttributeValues={":now": {"N": str(int(now))}},
                ),
                "admitting the job",
            )
            if taken:
                return number
        return None

    def _free_place(self, pk: str, number: int, tenant_id: str, transcript_id: str) -> None:
        conditional(  # only if the job still holds it (after an expiry another job may)
            lambda: self._db.delete_item(
                TableName=self._table, Key={"pk": {"S": pk}, "sk": {"S": f"{number:06d}"}},
                ConditionExpression="holder = :job",
                ExpressionAttributeValues={":job": {"S": f"{tenant_id}#{transcript_id}"}},
            ),
            "releasing the job",
        )

    def lease(self, tenant_id: str, transcript_id: str, places: Places) -> None:
        guarded(
            lambda: self._db.put_item(
                TableName=self._table,
                Item=self._codec.dump(
                    {"pk": f"{self._line}:inflight", "sk": f"{tenant_id}#{transcript_id}", "tenant_id": tenant_id,
                     "expires_at": int(time.time() + LEASE_S), "line_place": places.line,
                     **({} if places.tenant is None else {"tenant_place": places.tenant})}
                ),
            ),
            "admitting the job",
        )

    def release(self, tenant_id: str, transcript_id: str) -> bool:
        """Ends a job's lease and frees its places; False if it held none (a duplicate
        notification)."""
        key = {"pk": {"S": f"{self._line}:inflight"}, "sk": {"S": f"{tenant_id}#{transcript_id}"}}
        raw = guarded(
            lambda: self._db.delete_item(TableName=self._table, Key=key, ReturnValues="ALL_OLD"), "releasing the job"
        )
        if "Attributes" not in raw:
            return False
        held = self._codec.load(raw["Attributes"])
        if "line_place" in held:
            tenant_place = held.get("tenant_place")
            self.give_back(
                tenant_id, transcript_id,
                Places(int(held["line_place"]), None if tenant_place is None else int(tenant_place)),
            )
        return True

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
