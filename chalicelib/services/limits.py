"""Per-tenant limits: jobs at the endpoint at once, and API requests per second.

Each tenant's own values live on its key record (`KeysTable.set_limits`); the stack's
defaults (TenantConcurrency, TenantRequestsPerSecond) apply where it has none. Records are
re-read at most once a minute per process, so a changed limit takes effect within a minute.
"""
from __future__ import annotations

import math
import time
from collections.abc import Callable
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


class RateLimiter:
    """A request counter per tenant and window in the admission table, shared by every API
    process: `requests_per_second` per second (one request per 1/rate s below 1 per second)."""

    def __init__(self, table: AdmissionTable, limits: TenantLimits) -> None:
        self._table = table
        self._limits = limits

    def check(self, tenant_id: str) -> None:
        rate = self._limits.requests_per_second(tenant_id)
        window_s = max(1, math.ceil(1 / rate))
        wait_s = self._table.count_request(tenant_id, max(1, math.floor(rate * window_s)), window_s)
        if wait_s > 0:
            retry_after = max(1, math.ceil(wait_s))
            raise TooManyRequests(
                f"too many requests: this account may send {rate:g} per second; retry after {retry_after} s",
                retry_after,
            )
