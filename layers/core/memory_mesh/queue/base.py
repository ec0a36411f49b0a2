"""The embedding job queue protocol.

The message rows are the source of truth for pending embeddings (status, attempts, next
attempt time); a queue only says *when* to look. So a lost queue message delays an
embedding until the worker's next sweep, but never loses it.
"""

from __future__ import annotations

from typing import Protocol
from uuid import UUID


class JobQueue(Protocol):
    """Where freshly stored (or re-embedding) message ids are announced."""

    async def enqueue(self, tenant_id: str, message_ids: list[UUID]) -> None:
        """Announce messages waiting for an embedding; must not raise for a full queue."""
        ...
