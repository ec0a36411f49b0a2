"""A short-lived cache of who a credential is, so an authenticated request does not read
the identity tables every time.

Entries live ``ttl_seconds`` (never past the credential's own expiry) and are dropped at
once in this process when what they record changes here (a key revoked, a membership
added, a tenant created). Another process's change is seen within ``ttl_seconds``: that
is the bound on how long a key revoked elsewhere can still be used. 0 disables caching.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

V = TypeVar("V")


class TtlCache(Generic[V]):
    """At most ``max_entries`` values, each for at most ``ttl_seconds`` (LRU beyond that)."""

    def __init__(
        self,
        ttl_seconds: float,
        max_entries: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if ttl_seconds < 0 or max_entries < 1:
            raise ValueError("ttl_seconds must be >= 0 and max_entries >= 1")
        self.ttl_seconds = ttl_seconds
        self.max_entries = max_entries
        self._clock = clock
        self._entries: OrderedDict[Hashable, tuple[float, V]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> V | None:
        with self._lock:
            found = self._entries.get(key)
            if found is None:
                return None
            if found[0] <= self._clock():
                del self._entries[key]
                return None
            self._entries.move_to_end(key)
            return found[1]

    def put(self, key: Hashable, value: V, *, at_most_seconds: float | None = None) -> None:
        """Keep ``value`` for the TTL, or ``at_most_seconds`` if that is shorter."""
        ttl = (
            self.ttl_seconds if at_most_seconds is None else min(self.ttl_seconds, at_most_seconds)
        )
        if ttl <= 0:
            return
        with self._lock:
            self._entries[key] = (self._clock() + ttl, value)
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def forget(self, key: Hashable) -> None:
        with self._lock:
            self._entries.pop(key, None)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)
