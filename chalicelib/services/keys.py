"""API keys and tenants. A key is shown once, when made; only its SHA-256 is stored."""
from __future__ import annotations

import re
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Optional

from chalicelib.storage.keys import KeysTable
from hark_core.errors import BadRequest, Unauthorized
from hark_core.keys import AUTH_FAILED, hash_key, key_from_header, tenant_of
from hark_core.records import now_iso

KEY_PREFIX = "hark_"
WEBHOOK_SECRET_PREFIX = "whsec_"
TOKEN_PREFIX = "hark_tmp_"
# Tenant ids are part of S3 keys and SageMaker inference ids (64 chars at most), so they
# stay short and plain.
TENANT_ID = re.compile(r"^[a-z0-9][a-z0-9-]{1,23}$")
AUTH_CACHE_S = 60.0
"""How long a process trusts a key it has looked up (API Gateway's own authorizer cache is 300 s
by default). Keys are never revoked or moved to another tenant, and a temporary token's entry
ends when the token does, so the cache only saves the read: a client polling its transcripts
costs one DynamoDB read per request less. Unknown keys are not cached (a new key works at once)."""
AUTH_CACHE_SIZE = 4096


class KeyService:
    def __init__(self, table: KeysTable, clock: Callable[[], float] = time.time) -> None:
        self._table = table
        self._clock = clock
        self._known: OrderedDict[str, tuple[float, str]] = OrderedDict()  # key hash -> (trusted until, tenant)
        self._known_lock = threading.Lock()  # (the local server answers requests on threads)

    def authenticate(self, authorization: Optional[str]) -> str:
        key = key_from_header(authorization)
        tenant = self._tenant_for(hash_key(key)) if key else None
        if tenant is None:
            raise Unauthorized(AUTH_FAILED)
        return tenant

    def _tenant_for(self, key_hash: str) -> Optional[str]:
        now = self._clock()
        with self._known_lock:
            cached = self._known.get(key_hash)
        if cached is not None and cached[0] > now:
            return cached[1]
        item = self._table.key(key_hash)
        tenant = tenant_of(item)
        if tenant is None:
            return None
        until = min(now + AUTH_CACHE_S, float(item.get("expires_at", now + AUTH_CACHE_S)))
        with self._known_lock:
            self._known[key_hash] = (until, tenant)
            self._known.move_to_end(key_hash)
            while len(self._known) > AUTH_CACHE_SIZE:
                self._known.popitem(last=False)
        return tenant

    def create_key(self, tenant_id: str, key: Optional[str] = None) -> str:
        """Makes (or registers a chosen) key for ``tenant_id`` and returns it."""
        if not TENANT_ID.match(tenant_id):
            raise BadRequest("tenant id must be 2-24 characters of a-z, 0-9 and '-', starting with a letter or digit")
        key = key or KEY_PREFIX + secrets.token_urlsafe(32)
        self._table.add_tenant(tenant_id, WEBHOOK_SECRET_PREFIX + secrets.token_urlsafe(32), now_iso())
        self._table.put(hash_key(key), tenant_id, now_iso())
        return key

    def create_token(self, tenant_id: str, expires_in_s: int) -> str:
        """A temporary credential for the streaming API (GET /v3/token), so a browser or device
        can stream without holding the API key. It works until it expires."""
        token = TOKEN_PREFIX + secrets.token_urlsafe(24)
        self._table.put(hash_key(token), tenant_id, now_iso(), expires_at=int(time.time()) + expires_in_s)
        return token

    def exists(self, tenant_id: str) -> bool:
        """A tenant exists once it has been given a key (the drop folder accepts only these)."""
        return bool(TENANT_ID.match(tenant_id)) and self._table.tenant(tenant_id) is not None

    def webhook_secret(self, tenant_id: str) -> str:
        """The secret that signs the tenant's webhooks (see orchestration.webhooks); made on
        first use for a tenant whose keys predate webhook signing."""
        tenant = self._table.tenant(tenant_id)
        if tenant is None:
            self._table.add_tenant(tenant_id, WEBHOOK_SECRET_PREFIX + secrets.token_urlsafe(32), now_iso())
            tenant = self._table.tenant(tenant_id) or {}
        return str(tenant["webhook_secret"])
