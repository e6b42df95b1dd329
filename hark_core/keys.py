"""How an API key or a temporary streaming token is recognised: only its SHA-256 is stored,
and the API and the streaming service look a caller up by it."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Mapping
from typing import Any, Optional

AUTH_FAILED = "Authentication error, API token missing/invalid"
MAX_KEY_LENGTH = 255
"""Longer values are refused before hashing (no key Hark makes is that long)."""


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def key_from_header(header: Optional[str]) -> Optional[str]:
    """Accepts ``<key>`` and ``Bearer <key>``, as AssemblyAI does; None when there is no key or
    it is too long to be one."""
    if not header:
        return None
    value = header.strip()
    if value[:7].lower() == "bearer ":
        value = value[7:].strip()
    return value if value and len(value) <= MAX_KEY_LENGTH else None


def tenant_of(item: Mapping[str, Any]) -> Optional[str]:
    """The tenant of a keys-table item, None when there is none or it has expired (a temporary
    token's `expires_at`, Unix seconds: the table's TTL removes it only some time after)."""
    if "expires_at" in item and int(item["expires_at"]) <= time.time():
        return None
    tenant = item.get("tenant_id")
    return str(tenant) if tenant is not None else None
