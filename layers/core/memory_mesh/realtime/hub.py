"""This process's WebSocket subscribers, each with a bounded buffer.

Delivery never waits: an event is put in each matching subscriber's buffer without
blocking; a subscriber whose buffer is full (it stopped reading) is marked overflowed
and its connection is closed by its own task — storing messages is never slowed.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from memory_mesh.realtime.events import conversation_matches


class Subscriber:
    def __init__(self, tenant_id: str, conversation_id: str | None, buffer_size: int) -> None:
        self.tenant_id = tenant_id
        self.conversation_id = conversation_id
        self.queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(maxsize=buffer_size)
        self.overflowed = asyncio.Event()

    def wants(self, event: dict[str, Any]) -> bool:
        return self.conversation_id is None or conversation_matches(event, self.conversation_id)

    def offer(self, event: dict[str, Any]) -> None:
        if self.overflowed.is_set():
            return
        try:
            self.queue.put_nowait(event)
        except asyncio.QueueFull:
            self.overflowed.set()


class Hub:
    def __init__(self, on_count: Callable[[int], None] | None = None) -> None:
        self._by_tenant: dict[str, set[Subscriber]] = defaultdict(set)
        self._on_count = on_count

    def add(self, subscriber: Subscriber) -> None:
        self._by_tenant[subscriber.tenant_id].add(subscriber)
        self._changed()

    def remove(self, subscriber: Subscriber) -> None:
        subscribers = self._by_tenant.get(subscriber.tenant_id)
        if subscribers is not None:
            subscribers.discard(subscriber)
            if not subscribers:
                del self._by_tenant[subscriber.tenant_id]
        self._changed()

    def deliver(self, event: dict[str, Any]) -> None:
        """Hand ``event`` to this process's subscribers of its tenant (never blocks)."""
        for subscriber in list(self._by_tenant.get(str(event.get("tenant_id")), ())):
            if subscriber.wants(event):
                subscriber.offer(event)

    @property
    def count(self) -> int:
        return sum(len(s) for s in self._by_tenant.values())

    def _changed(self) -> None:
        if self._on_count is not None:
            self._on_count(self.count)
