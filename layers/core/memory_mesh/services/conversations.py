"""Conversations: create, list (cursor pages), read, update, delete, statistics."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar
from uuid import UUID, uuid4

from memory_mesh.domain.cursor import decode_cursor, encode_cursor
from memory_mesh.domain.models import Conversation, Message
from memory_mesh.domain.validation import Limits, check_metadata, check_page_size
from memory_mesh.errors import Conflict, NotFound
from memory_mesh.store import conversations as store
from memory_mesh.store import messages as message_store
from memory_mesh.store.database import Database


def conversation_not_found(conversation_id: UUID) -> NotFound:
    return NotFound(f"conversation {conversation_id} not found", code="conversation_not_found")


T = TypeVar("T")


@dataclass
class Page(Generic[T]):
    items: list[T]
    next_cursor: str | None


class ConversationService:
    def __init__(self, db: Database, limits: Limits) -> None:
        self.db = db
        self.limits = limits

    async def create(
        self,
        tenant_id: str,
        *,
        title: str | None,
        metadata: dict[str, Any],
        conversation_id: UUID | None = None,
    ) -> tuple[Conversation, bool]:
        """Create; a retried create with the same id returns the first one (created False)."""
        check_metadata(metadata, self.limits)
        async with self.db.tenant(tenant_id) as conn:
            try:
                return await store.insert(
                    conn,
                    tenant_id=tenant_id,
                    conversation_id=conversation_id or uuid4(),
                    title=title,
                    metadata=metadata,
                )
            except LookupError:
                raise Conflict(
                    f"conversation id {conversation_id} is already taken",
                    code="conversation_id_taken",
                ) from None

    async def get(self, tenant_id: str, conversation_id: UUID) -> Conversation:
        async with self.db.tenant(tenant_id) as conn:
            found = await store.get(conn, tenant_id=tenant_id, conversation_id=conversation_id)
        if found is None:
            raise conversation_not_found(conversation_id)
        return found

    async def list(
        self, tenant_id: str, *, limit: int, cursor: str | None, offset: int = 0
    ) -> Page[Conversation]:
        check_page_size(limit, self.limits)
        after = decode_cursor(cursor) if cursor else None
        async with self.db.tenant(tenant_id) as conn:
            rows = await store.list_page(
                conn, tenant_id=tenant_id, limit=limit + 1, after=after, offset=offset
            )
        more = len(rows) > limit
        rows = rows[:limit]
        next_cursor = encode_cursor(rows[-1].created_at, rows[-1].id) if more else None
        return Page(rows, next_cursor)

    async def messages(
        self,
        tenant_id: str,
        conversation_id: UUID,
        *,
        limit: int,
        cursor: str | None,
        include_archived: bool,
        offset: int = 0,
    ) -> Page[Message]:
        check_page_size(limit, self.limits)
        after = decode_cursor(cursor) if cursor else None
        async with self.db.tenant(tenant_id) as conn:
            if await store.get(conn, tenant_id=tenant_id, conversation_id=conversation_id) is None:
                raise conversation_not_found(conversation_id)
            rows = await message_store.list_conversation_page(
                conn,
                tenant_id=tenant_id,
                conversation_id=conversation_id,
                limit=limit + 1,
                after=after,
                include_archived=include_archived,
                offset=offset,
            )
        more = len(rows) > limit
        rows = rows[:limit]
        next_cursor = encode_cursor(rows[-1].created_at, rows[-1].id) if more else None
        return Page(rows, next_cursor)

    async def update(
        self,
        tenant_id: str,
        conversation_id: UUID,
        *,
        title: str | None,
        set_title: bool,
        metadata: dict[str, Any] | None,
    ) -> Conversation:
        if metadata is not None:
            check_metadata(metadata, self.limits)
        async with self.db.tenant(tenant_id) as conn:
            found = await store.update(
                conn,
                tenant_id=tenant_id,
                conversation_id=conversation_id,
                title=title,
                set_title=set_title,
                metadata=metadata,
            )
        if found is None:
            raise conversation_not_found(conversation_id)
        return found

    async def delete(self, tenant_id: str, conversation_id: UUID) -> int:
        """Delete the conversation and its messages; return how many messages went."""
        async with self.db.tenant(tenant_id) as conn:
            removed = await store.delete(conn, tenant_id=tenant_id, conversation_id=conversation_id)
        if removed is None:
            raise conversation_not_found(conversation_id)
        return removed

    async def stats(self, tenant_id: str, conversation_id: UUID) -> dict[str, Any]:
        async with self.db.tenant(tenant_id) as conn:
            if await store.get(conn, tenant_id=tenant_id, conversation_id=conversation_id) is None:
                raise conversation_not_found(conversation_id)
            figures = await store.stats(conn, tenant_id=tenant_id, conversation_id=conversation_id)
        count = int(figures["message_count"])
        figures["embedding_coverage"] = (
            round(int(figures["embedded_count"]) / count, 4) if count else None
        )
        return figures
