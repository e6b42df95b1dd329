"""The API key lookup is cached per process: one read per key a minute, never past a token's end."""
from __future__ import annotations

from typing import Any

import pytest

from chalicelib.services.keys import AUTH_CACHE_S, KeyService
from hark_core.errors import Unauthorized
from hark_core.keys import hash_key


class CountingKeys:
    def __init__(self, items: dict[str, dict[str, Any]]) -> None:
        self.items = items
        self.reads = 0

    def key(self, key_hash: str) -> dict[str, Any]:
        self.reads += 1
        return self.items.get(key_hash, {})


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_a_known_key_is_read_once_per_cache_period() -> None:
    table = CountingKeys({hash_key("hark_a"): {"tenant_id": "acme"}})
    clock = Clock(1000.0)
    keys = KeyService(table, clock)  # type: ignore[arg-type]
    assert [keys.authenticate("hark_a") for _ in range(5)] == ["acme"] * 5
    assert table.reads == 1
    clock.now += AUTH_CACHE_S + 1
    assert keys.authenticate("Bearer hark_a") == "acme"
    assert table.reads == 2


def test_an_unknown_key_is_not_cached_so_a_new_key_works_at_once() -> None:
    table = CountingKeys({})
    keys = KeyService(table, Clock(1000.0))  # type: ignore[arg-type]
    with pytest.raises(Unauthorized):
        keys.authenticate("hark_new")
    table.items[hash_key("hark_new")] = {"tenant_id": "acme"}
    assert keys.authenticate("hark_new") == "acme"


def test_a_cached_temporary_token_ends_when_it_expires(monkeypatch: pytest.MonkeyPatch) -> None:
    import hark_core.keys

    clock = Clock(1000.0)
    monkeypatch.setattr(hark_core.keys.time, "time", clock)
    table = CountingKeys({hash_key("hark_tmp_x"): {"tenant_id": "acme", "expires_at": 1010}})
    keys = KeyService(table, clock)  # type: ignore[arg-type]
    assert keys.authenticate("hark_tmp_x") == "acme"
    clock.now = 1009.0
    assert keys.authenticate("hark_tmp_x") == "acme"
    assert table.reads == 1
    clock.now = 1010.0
    with pytest.raises(Unauthorized):
        keys.authenticate("hark_tmp_x")
