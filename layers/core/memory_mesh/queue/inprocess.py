"""The local queue: wakes the in-process embedding worker, which claims due rows."""

from __future__ import annotations

from collections.abc import Callable
from uuid import UUID


class InProcessQueue:
    def __init__(self, wake: Callable[[], None]) -> None:
        self._wake = wake

    async def enqueue(self, tenant_id: str, message_ids: list[UUID]) -> None:
        if message_ids:
            self._wake()
