"""Fair sharing of the inference endpoint between tenants.

Every transcript job first waits in the admission table; it is handed to the endpoint (`start`)
when a place is free. At most `capacity` jobs are at the endpoint at once (the stack's
AdmissionCapacity), and at most each tenant's own limit of them (TenantConcurrency, or the
tenant's key record). The next place goes to the tenant with the fewest jobs at the endpoint,
ties to the one admitted longest ago, and within a tenant to its oldest job: max-min fair, FIFO
per tenant. So one tenant's burst of 10,000 files holds at most its share, a tenant alone still
gets every place, and another tenant's file waits for one job to finish, not for the burst.

Places are taken when a job is queued (`submit`) and given back when the endpoint answers
(`release`, from the result handler), each time admitting what now fits. SageMaker's own
queue only ever holds what was admitted, so its backlog metric (which scales the endpoint out)
still sees up to `capacity` jobs.
"""
from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from chalicelib import observability
from chalicelib.storage.admission import AdmissionTable, Lease, LineState, WaitingJob, inflight_counts

log = logging.getLogger(__name__)
POSITIONS_FRESH_S = 1.0
POSITIONS_READ = 500
"""A tenant's line is read this far for queue positions; a job further back is looked up alone."""


class Admission:
    def __init__(
        self,
        table: AdmissionTable,
        capacity: int,
        tenant_limit: Callable[[str], int],
        start: Callable[[str, bool], bool],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """`start(message, first)` hands a job (its dispatch message, JSON) to the endpoint;
        `first` says its tenant had nothing else there. It answers False when the job needs no
        place after all (deleted or failed meanwhile)."""
        self._table = table
        self._capacity = capacity
        self._limit = tenant_limit
        self._start = start
        self._clock = clock
        self._lines: dict[str, tuple[float, dict[str, int]]] = {}
        self._lines_lock = threading.Lock()

    def submit(self, tenant_id: str, transcript_id: str, message: str) -> None:
        if not self._table.enqueue(tenant_id, transcript_id, message):
            log.info("job %s is already waiting; duplicate dispatch", transcript_id)
        self._report(tenant_id, self.admit())

    def release(self, tenant_id: str, transcript_id: str) -> None:
        self._report(tenant_id, self.admit(self._table.release(tenant_id, transcript_id)))

    def _report(self, tenant_id: str, inflight: dict[str, int]) -> None:
        if not observability.metrics_enabled():  # a read per event: only when wanted
            return
        waiting = self._table.waiting(tenant_id)
        observability.queue_depth(self._table.line, tenant_id, waiting, inflight.get(tenant_id, 0))

    def admit(self, state: LineState | None = None) -> dict[str, int]:
        """Hands waiting jobs to the endpoint while places are free; returns the jobs each tenant
        then holds there (the admission's own last look, so a report needs no query of its own).
        `state`: the line as just read (by a release), to save reading it again.

        The line's state (who holds places, who waits) is read in one query and then kept up to
        date with this admitter's own hand-overs; it is read again only when another admitter got
        somewhere first. (The common case, one job admitted after one finished, needs no second
        look to know the tenant is at its limit or the line is empty.)"""
        state = self._table.state() if state is None else state
        held, active = state.held, dict(state.active)
        # Each turn hands over a job or loses a race to another admitter (which then holds the
        # place, so the line fills either way); the bound only stops a pathological loop.
        for _ in range(2 * self._capacity + 2):
            inflight = inflight_counts(held)
            if len(held) >= self._capacity:
                return inflight
            job = self._next(inflight, active)
            if job is None:
                return inflight
            # The counts above only choose the job: the places, taken by conditional writes in
            # the hand-over's transaction, are what keep concurrent admitters within the capacity
            # and the tenant's limit.
            places = self._table.hand_over(job, held, self._capacity, self._limit(job.tenant_id))
            if places is None:  # another admitter got there first: look again
                state = self._table.state()
                held, active = state.held, dict(state.active)
                continue
            held = {**held, places.line: Lease(job.tenant_id, job.transcript_id, places.tenant)}
            active[job.tenant_id]["last_admitted"] = time.time()
            try:
                started = self._start(job.message, inflight.get(job.tenant_id, 0) == 0)
            except Exception:
                # AWS trouble: the job goes back to the head of its line, its places are freed,
                # and the error reaches the queue, which redelivers the message that got here.
                self._table.put_back(job)
                self._table.give_back(job.tenant_id, job.transcript_id, places)
                raise
            if not started:
                self._table.give_back(job.tenant_id, job.transcript_id, places)
                held = {n: lease for n, lease in held.items() if n != places.line}
        return inflight_counts(held)

    def _next(self, inflight: dict[str, int], active: dict[str, dict[str, Any]]) -> WaitingJob | None:
        """The oldest job of the tenant with the fewest jobs at the endpoint (below its limit).
        A tenant found with nothing waiting leaves `active`."""
        ranked = sorted(active, key=lambda t: (inflight.get(t, 0), float(active[t].get("last_admitted", 0))))
        for tenant_id in ranked:
            if inflight.get(tenant_id, 0) >= self._limit(tenant_id):
                continue
            job = self._table.oldest(tenant_id)
            if job is not None:
                return job
            self._table.retire(tenant_id, active.pop(tenant_id))
        return None

    def position(self, tenant_id: str, transcript_id: str) -> int | None:
        """How many of the tenant's own jobs wait ahead of this one (None: not waiting). Other
        tenants' jobs do not delay it beyond a share, so they are not counted.

        Asked on every poll of a queued transcript, so the head of a tenant's line is read at
        most once a second per process and that second's polls are answered from it: a client
        polling 40 queued jobs twice a second costs about one query a second, not 80. A position
        may therefore be up to a second old. A job not in that read (further back, queued since,
        or handed over meanwhile) is looked up on its own."""
        now = self._clock()
        with self._lines_lock:
            read = self._lines.get(tenant_id)
        if read is None or now - read[0] > POSITIONS_FRESH_S:
            keys = self._table.line_keys(tenant_id, POSITIONS_READ)
            read = (now, {key: place for place, key in enumerate(keys)})
            with self._lines_lock:
                self._lines[tenant_id] = read
        place = read[1].get(transcript_id)
        return place if place is not None else self._table.position(tenant_id, transcript_id)
