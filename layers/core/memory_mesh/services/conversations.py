"""Conversations: create, list (cursor pages), read, update, delete, statistics.

Every method takes the conversation as a request names it: its UUID or the client's
external id (``services/conversation_refs.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar
from uuid import UUID, uuid4

from memory_mesh.domain.conversation_ref import check_external_id
from memory_mesh.domain.cursor import decode_cursor, encode_cursor
from memory_mesh.domain.models import Conversation, Message
from memory_mesh.domain.validation import Limits, check_metadata, check_page_size
from memory_mesh.errors import Conflict
from memory_mesh.services.conversation_refs import conversation_not_found, resolve
from memory_mesh.store import conversations as store
from memory_mesh.store import messages as message_store
from memory_mesh.store.database import Database

__all__ = ["ConversationService", "Page", "conversation_not_found"]

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
        external_id: str | None = None,
    ) -> tuple[Conversation, bool]:
        """Create; return (conversation, created).

        Idempotent: a create naming an id or external id the tenant holds returns that
        conversation unchanged (created False), unless the two name different
        conversations (409). An id held by another tenant is 409 ``conversation_id_taken``.
        """
        check_metadata(metadata, self.limits)
        if external_id is not None:
            check_external_id(external_id)
        new_id = conversation_id or uuid4()
        async with self.db.tenant(tenant_id) as conn:
            created = await store.insert(
                conn,
                tenant_id=tenant_id,
                conversation_id=new_id,
                external_id=external_id,
                title=title,
                metadata=metadata,
            )
            if created is not None:
                return created, True
            found = await store.find(
                conn,
                tenant_id=tenant_id,
                ids=[new_id],
                external_ids=[external_id] if external_id is not None else [],
            )
        by_external = next(
            (c for c in found if external_id is not None and c.external_id == external_id), None
        )
        by_id = next((c for c in found if c.id == new_id), None)
        if by_external is not None:
            if conversation_id is None or by_external.id == conversation_id:
                return by_external, False
            raise Conflict(
                f"external_id {external_id} names conversation {by_external.id}, "
                f"not {conversation_id}",
                code="external_id_taken",
            )
        if by_id is not None:
            if external_id is None:
                return by_id, False
            raise Conflict(
                f"conversation {new_id} exists with external_id {by_id.external_id}; "
                "an external id is set when a conversation is created and never changes",
                code="conversation_id_taken",
            )
        raise Conflict(f"conversation id {new_id} is already taken", code="conversation_id_taken")

    async def get(self, tenant_id: str, conversation: str | UUID) -> Conversation:
        async with self.db.tenant(tenant_id) as conn:
            conversation_id = await resolve(conn, tenant_id, conversation)
            found = await store.get(conn, tenant_id=tenant_id, conversation_id=conversation_id)
        if found is None:
            raise conversation_not_found(conversation_id)
        return found

    async def list(
        self, tenant_id: str, *, limit: int, cursor: str | None, offset: int = 0
    ) -> Page[Conversation]:
        check_page_size(limit, self.limits)
        after = decode_cursor(cursor) if cursor else None
        async with self.db.tenant(tenant_id, in_order=True) as conn:
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
        conversation: str | UUID,
        *,
        limit: int,
        cursor: str | None,
        include_archived: bool,
        offset: int = 0,
    ) -> Page[Message]:
        check_page_size(limit, self.limits)
        after = decode_cursor(cursor) if cursor else None
        async with self.db.tenant(tenant_id, in_order=True) as conn:
            conversation_id = await resolve(conn, tenant_id, conversation)
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
        conversation: str | UUID,
        *,
        title: str | None,
        set_title: bool,
        metadata: dict[str, Any] | None,
    ) -> Conversation:
        if metadata is not None:
            check_metadata(metadata, self.limits)
        async with self.db.tenant(tenant_id) as conn:
            conversation_id = await resolve(conn, tenant_id, conversation)
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

    async def delete(self, tenant_id: str, conversation: str | UUID) -> tuple[Conversation, int]:
        """Delete the conversation and its messages; return it and how many messages went."""
        async with self.db.tenant(tenant_id) as conn:
            conversation_id = await resolve(conn, tenant_id, conversation)
            found = await store.get(conn, tenant_id=tenant_id, conversation_id=conversation_id)
            removed = await store.delete(conn, tenant_id=tenant_id, conversation_id=conversation_id)
        if found is None or removed is None:
            raise conversation_not_found(conversation_id)
        return found, removed

    async def stats(
        self, tenant_id: str, conversation: str | UUID
    ) -> tuple[Conversation, dict[str, Any]]:
        """The conversation and its figures (counts, times, importance, embedding coverage)."""
        async with self.db.tenant(tenant_id) as conn:
            conversation_id = await resolve(conn, tenant_id, conversation)
            found = await store.get(conn, tenant_id=tenant_id, conversation_id=conversation_id)
            figures = await store.stats(conn, tenant_id=tenant_id, conversation_id=conversation_id)
        if found is None:
            raise conversation_not_found(conversation_id)
        count = int(figures["message_count"])
        figures["embedding_coverage"] = (
            round(int(figures["embedded_count"]) / count, 4) if count else None
        )
        return found, figures
