"""Per-tenant limits: jobs at the endpoint at once, and API requests per second.

Each tenant's own values live on its key record (`KeysTable.set_limits`); the stack's
defaults (TenantConcurrency, TenantRequestsPerSecond) apply where it has none. Records are
re-read at most once a minute per process, so a changed limit takes effect within a minute.
"""
from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from chalicelib.storage.admission import AdmissionTable
from chalicelib.storage.keys import KeysTable
from hark_core.errors import TooManyRequests

CACHE_S = 60.0


class TenantLimits:
    def __init__(
        self,
        keys: KeysTable,
        default_concurrency: int,
        default_requests_per_second: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._keys = keys
        self._concurrency = default_concurrency
        self._rate = default_requests_per_second
        self._clock = clock
        self._cache: dict[str, tuple[float, dict[str, Any]]] = {}

    def concurrency(self, tenant_id: str) -> int:
        return int(self._record(tenant_id).get("max_concurrent_jobs") or self._concurrency)

    def requests_per_second(self, tenant_id: str) -> float:
        return float(self._record(tenant_id).get("requests_per_second") or self._rate)

    def _record(self, tenant_id: str) -> dict[str, Any]:
        now = self._clock()
        cached = self._cache.get(tenant_id)
        if cached is None or now - cached[0] > CACHE_S:
            cached = (now, self._keys.tenant(tenant_id) or {})
            self._cache[tenant_id] = cached
        return cached[1]


@dataclass
class _Block:
    """Requests this process has counted in the shared table and not yet used, in one window."""

    window: int
    left: int = 0
    used: int = 0
    size: int = 1
    """How many to count at the next write."""


class RateLimiter:
    """A request counter per tenant and window in the admission table, shared by every API
    process: `requests_per_second` per second (one request per 1/rate s below 1 per second).

    A process counts its requests in blocks: one at first in a window, twice as many at each
    next write, and in the next window from half of what it used in the last, at most a tenth of
    the limit. A busy process then writes a few times a window instead of once per request (each
    write is a DynamoDB request, and on the local stack CPU taken from the inference worker),
    while one with little traffic still counts one by one. What a block holds unused counts
    against the tenant until its window ends: never more than the process used in that window,
    and a block that no longer fits is not taken, so near its limit a tenant is counted one by
    one."""

    def __init__(self, table: AdmissionTable, limits: TenantLimits, clock: Callable[[], float] = time.time) -> None:
        self._table = table
        self._limits = limits
        self._clock = clock
        self._blocks: dict[str, _Block] = {}
        self._lock = threading.Lock()

    def check(self, tenant_id: str) -> None:
        rate = self._limits.requests_per_second(tenant_id)
        window_s = max(1, math.ceil(1 / rate))
        allowed = max(1, math.floor(rate * window_s))
        now = self._clock()
        window = int(now // window_s)
        with self._lock:
            block = self._blocks.get(tenant_id)
            if block is None or block.window != window:
                last_used = block.used if block is not None and block.window == window - 1 else 0
                block = self._blocks[tenant_id] = _Block(window, size=max(1, last_used // 2))
            if block.left > 0:
                block.left -= 1
                block.used += 1
                return
            take = min(block.size, max(1, allowed // 10))
        wait_s = self._table.count_request(tenant_id, allowed, window_s, take, now)
        if wait_s > 0 and take > 1:
            take, wait_s = 1, self._table.count_request(tenant_id, allowed, window_s, 1, now)
        if wait_s > 0:
            retry_after = max(1, math.ceil(wait_s))
            raise TooManyRequests(
                f"too many requests: this account may send {rate:g} per second; retry after {retry_after} s",
                retry_after,
            )
        with self._lock:
            if block.window == window:
                block.left += take - 1
                block.used += 1
                block.size = take * 2
