"""TtlCache: entries expire after the TTL (or sooner when asked), the oldest go first
beyond the bound, and a TTL of 0 caches nothing."""

from __future__ import annotations

import pytest

from memory_mesh.services.principal_cache import TtlCache


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_an_entry_lives_for_the_ttl_and_no_longer() -> None:
    clock = Clock()
    cache: TtlCache[str] = TtlCache(5.0, clock=clock)
    cache.put("k", "v")
    clock.now += 4.9
    assert cache.get("k") == "v"
    clock.now += 0.2
    assert cache.get("k") is None
    assert len(cache) == 0


def test_a_credential_expiring_sooner_than_the_ttl_is_kept_only_until_then() -> None:
    clock = Clock()
    cache: TtlCache[str] = TtlCache(5.0, clock=clock)
    cache.put("k", "v", at_most_seconds=1.0)
    clock.now += 1.0
    assert cache.get("k") is None
    cache.put("gone", "v", at_most_seconds=-3.0)  # already expired: not kept at all
    assert cache.get("gone") is None


def test_forget_and_clear_drop_entries_at_once() -> None:
    cache: TtlCache[int] = TtlCache(60.0)
    cache.put("a", 1)
    cache.put("b", 2)
    cache.forget("a")
    assert cache.get("a") is None and cache.get("b") == 2
    cache.clear()
    assert cache.get("b") is None


def test_beyond_the_bound_the_least_recently_used_goes() -> None:
    cache: TtlCache[int] = TtlCache(60.0, max_entries=2)
    cache.put("a", 1)
    cache.put("b", 2)
    assert cache.get("a") == 1  # a is now the most recent
    cache.put("c", 3)
    assert cache.get("b") is None
    assert cache.get("a") == 1 and cache.get("c") == 3


def test_a_ttl_of_zero_caches_nothing() -> None:
    cache: TtlCache[int] = TtlCache(0.0)
    cache.put("a", 1)
    assert cache.get("a") is None


def test_bad_bounds_are_refused() -> None:
    with pytest.raises(ValueError):
        TtlCache(-1.0)
    with pytest.raises(ValueError):
        TtlCache(1.0, max_entries=0)
