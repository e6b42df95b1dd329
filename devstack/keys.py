"""API keys on the local stack: `make serve`'s, `make key`'s and the demo's."""
from __future__ import annotations

DEV_TENANT = "dev"


def create_key(
    tenant: str, key: str | None = None, max_concurrent_jobs: int | None = None, requests_per_second: float | None = None
) -> str:
    """Registers a key through the same service the API authenticates with, and the tenant's
    own limits where given (the stack's defaults apply otherwise)."""
    from chalicelib import wiring
    from chalicelib.clients import client
    from chalicelib.config import settings
    from chalicelib.storage.keys import KeysTable

    wiring.reset()
    created = wiring.keys().create_key(tenant, key)
    KeysTable(client("dynamodb"), settings().keys_table).set_limits(tenant, max_concurrent_jobs, requests_per_second)
    return created
