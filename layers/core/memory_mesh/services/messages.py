"""Storing, reading, changing and deleting messages, one at a time or in batches.

Batches are validated item by item, then written in ONE set-based statement; the answer
reports each item (created / existing / updated / deleted / error). Client-chosen ids
make creation idempotent: a retried request returns the stored message, never a copy.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, Literal
from uuid import UUID, uuid4

from memory_mesh.domain.conversation_ref import ConversationRef, parse_conversation_ref
from memory_mesh.domain.importance import ImportanceWeights, score_importance
from memory_mesh.domain.models import EmbeddingStatus, Message, MessagePatch, NewMessage, Role
from memory_mesh.domain.validation import (
    Limits,
    check_batch,
    check_content,
    check_created_at,
    check_importance,
    check_metadata,
    check_stored_time,
)
from memory_mesh.errors import AppError, Conflict, NotFound
from memory_mesh.observability.metrics import NULL_METRICS, MetricsRecorder
from memory_mesh.queue.base import JobQueue
from memory_mesh.services.conversation_refs import conversation_not_found, resolve_many
from memory_mesh.services.embedding import EmbeddingPipeline
from memory_mesh.store import messages as store
from memory_mesh.store.database import Database

ItemStatus = Literal["created", "existing", "updated", "deleted", "error"]
MessageEventListener = Callable[[str, str, list[Message]], Awaitable[None]]

_INLINE_LEASE_SECONDS = 60.0  # the worker leaves inline rows alone this long


def message_not_found(message_id: UUID) -> NotFound:
    return NotFound(f"message {message_id} not found", code="message_not_found")


@dataclass
class MessageInput:
    # the conversation's UUID, or the client's external id (created on first use)
    conversation_id: UUID | str
    role: Role
    content: str
    metadata: dict[str, Any] = field(default_factory=dict)
    importance: float | None = None
    id: UUID | None = None
    created_at: datetime | None = None


@dataclass
class ItemResult:
    index: int
    status: ItemStatus
    id: UUID | None = None
    message: Message | None = None
    error: AppError | None = None


class MessageService:
    def __init__(
        self,
        db: Database,
        pipeline: EmbeddingPipeline,
        *,
        limits: Limits,
        importance: ImportanceWeights,
        inline: bool,
        queue: JobQueue,
        on_change: MessageEventListener | None = None,
        metrics: MetricsRecorder = NULL_METRICS,
        context_chars: int = 0,
    ) -> None:
        self.context_chars = context_chars  # of the previous message, stored as context
        self.db = db
        self.pipeline = pipeline
        self.limits = limits
        self.importance = importance
        self.inline = inline
        self.queue = queue
        self.on_change = on_change
        self.metrics = metrics

    # --- create -----------------------------------------------------------------

    async def create(self, tenant_id: str, item: MessageInput) -> tuple[Message, bool]:
        """Store one message; return (message, created). Raises the item's error."""
        result = (await self.create_batch(tenant_id, [item]))[0]
        if result.error is not None:
            raise result.error
        assert result.message is not None
        return result.message, result.status == "created"

    async def create_batch(self, tenant_id: str, items: list[MessageInput]) -> list[ItemResult]:
        check_batch(len(items), self.limits)
        results: list[ItemResult] = [ItemResult(index=i, status="error") for i in range(len(items))]
        now = datetime.now(UTC)
        valid: dict[int, tuple[UUID, ConversationRef]] = {}
        seen: set[UUID] = set()
        for i, item in enumerate(items):
            try:
                ref = parse_conversation_ref(item.conversation_id)
                self._check(item, now)
            except AppError as exc:
                results[i].error = exc
                continue
            message_id = item.id or uuid4()
            if message_id in seen:
                results[i].error = Conflict(
                    f"id {message_id} appears twice in this batch", code="duplicate_id"
                )
                continue
            seen.add(message_id)
            valid[i] = (message_id, ref)
        inserted: list[Message] = []
        candidates: dict[int, NewMessage] = {}
        # inline: embedded first, outside the transaction, so each row is written once
        # with its vector (a retried batch's stored messages are embedded for nothing)
        first = (
            await self.pipeline.embed_first([items[i].content for i in valid])
            if self.inline
            else None
        )
        vector_of = dict(zip(valid, first.vectors, strict=True)) if first is not None else {}
        async with self.db.tenant(tenant_id) as conn:
            # the first message naming an unknown external id creates its conversation
            conversations = await resolve_many(
                conn, tenant_id, [ref for _, ref in valid.values()], create=True
            )
            for i, (message_id, ref) in valid.items():
                if ref not in conversations:
                    results[i].error = conversation_not_found(ref)
                    continue
                candidates[i] = self._new_message(
                    tenant_id, items[i], message_id, conversations[ref]
                )
            if candidates:
                inserted, existing_ids = await store.insert_many(
                    conn,
                    list(candidates.values()),
                    lease_seconds=_INLINE_LEASE_SECONDS if self.inline else 0.0,
                    context_chars=self.context_chars,
                    embedded=replace(first, vectors=[vector_of[i] for i in candidates])
                    if first is not None
                    else None,
                )
                existing = (
                    await store.get_many(conn, tenant_id=tenant_id, ids=list(existing_ids))
                    if existing_ids
                    else []
                )
            else:
                existing = []
        by_id = {m.id: m for m in inserted}
        old_by_id = {m.id: m for m in existing}
        for i, new in candidates.items():
            results[i].id = new.id
            if new.id in by_id:
                results[i].status, results[i].message = "created", by_id[new.id]
            elif new.id in old_by_id:
                results[i].status, results[i].message = "existing", old_by_id[new.id]
            else:
                results[i].error = Conflict(
                    f"message id {new.id} is already taken", code="message_id_taken"
                )
        if inserted:
            self.metrics.messages_ingested(
                mode="inline" if self.inline else "async", count=len(inserted)
            )
            # announced as stored first; "message.embedded" follows once it has a vector
            if self.on_change is not None:
                await self.on_change(tenant_id, "message.created", inserted)
                await self._announce_embedded(tenant_id, inserted)
            fresh = await self._after_write(tenant_id, inserted)
            for result in results:
                if result.status == "created" and result.id in fresh:
                    result.message = fresh[result.id]
        return results

    def _check(self, item: MessageInput, now: datetime) -> None:
        check_content(item.content, self.limits)
        check_metadata(item.metadata, self.limits)
        check_importance(item.importance)
        check_created_at(item.created_at, now)
        check_stored_time(item.created_at, "created_at")

    def _new_message(
        self, tenant_id: str, item: MessageInput, message_id: UUID, conversation_id: UUID
    ) -> NewMessage:
        """A checked item (:meth:`_check`) with its id and its conversation's UUID."""
        return NewMessage(
            id=message_id,
            tenant_id=tenant_id,
            conversation_id=conversation_id,
            role=item.role,
            content=item.content,
            metadata=item.metadata,
            importance=score_importance(item.role, item.content, self.importance, item.importance),
            importance_explicit=item.importance is not None,
            created_at=item.created_at,
        )

    async def _announce_embedded(self, tenant_id: str, written: list[Message]) -> None:
        """``message.embedded`` for the rows written ``ready`` (embedded first)."""
        ready = [m for m in written if m.embedding_status is EmbeddingStatus.ready]
        if ready and self.on_change is not None:
            await self.on_change(tenant_id, "message.embedded", ready)

    async def _after_write(self, tenant_id: str, written: list[Message]) -> dict[UUID, Message]:
        """Embed now (inline) or wake the worker (async); return the rows as they now are."""
        pending = [m.id for m in written if m.embedding_status is EmbeddingStatus.pending]
        if pending and self.inline:
            await self.pipeline.embed_ids(pending)
            async with self.db.tenant(tenant_id) as conn:
                fresh = await store.get_many(conn, tenant_id=tenant_id, ids=[m.id for m in written])
            return {m.id: m for m in fresh}
        if pending:
            await self.queue.enqueue(tenant_id, pending)
        return {m.id: m for m in written}

    # --- read -------------------------------------------------------------------

    async def get(self, tenant_id: str, message_id: UUID) -> Message:
        async with self.db.tenant(tenant_id) as conn:
            found = await store.get(conn, tenant_id=tenant_id, message_id=message_id)
        if found is None:
            raise message_not_found(message_id)
        return found

    # --- update -----------------------------------------------------------------

    async def update(self, tenant_id: str, patch: MessagePatch) -> Message:
        result = (await self.update_batch(tenant_id, [patch]))[0]
        if result.error is not None:
            raise result.error
        assert result.message is not None
        return result.message

    async def update_batch(self, tenant_id: str, patches: list[MessagePatch]) -> list[ItemResult]:
        check_batch(len(patches), self.limits)
        results = [ItemResult(index=i, status="error", id=p.id) for i, p in enumerate(patches)]
        valid: dict[int, MessagePatch] = {}
        seen: set[UUID] = set()
        for i, patch in enumerate(patches):
            try:
                if patch.content is not None:
                    check_content(patch.content, self.limits)
                if patch.metadata is not None:
                    check_metadata(patch.metadata, self.limits)
                check_importance(patch.importance)
                if patch.id in seen:
                    raise Conflict(
                        f"id {patch.id} appears twice in this batch", code="duplicate_id"
                    )
            except AppError as exc:
                results[i].error = exc
                continue
            seen.add(patch.id)
            valid[i] = patch
        updated: list[Message] = []
        changed: set[UUID] = set()  # content changed
        if valid:
            # inline: new contents embedded first, stored with the content they belong to
            # (a patch that leaves its content as it was is embedded for nothing)
            new_content = {i: p.content for i, p in valid.items() if p.content is not None}
            first = (
                await self.pipeline.embed_first(list(new_content.values())) if self.inline else None
            )
            vector_of = dict(zip(new_content, first.vectors, strict=True)) if first else {}
            async with self.db.tenant(tenant_id) as conn:
                updated, changed = await store.update_many(
                    conn,
                    tenant_id=tenant_id,
                    patches=list(valid.values()),
                    lease_seconds=_INLINE_LEASE_SECONDS if self.inline else 0.0,
                    context_chars=self.context_chars,
                    embedded=replace(first, vectors=[vector_of.get(i) for i in valid])
                    if first is not None
                    else None,
                )
        if updated and self.on_change is not None:
            await self.on_change(tenant_id, "message.updated", updated)
            await self._announce_embedded(tenant_id, [m for m in updated if m.id in changed])
        fresh = await self._after_write(tenant_id, updated) if updated else {}
        for i, patch in valid.items():
            if patch.id in fresh:
                results[i].status, results[i].message = "updated", fresh[patch.id]
            else:
                results[i].error = message_not_found(patch.id)
        return results

    # --- delete -----------------------------------------------------------------

    async def delete(self, tenant_id: str, message_id: UUID) -> None:
        result = (await self.delete_batch(tenant_id, [message_id]))[0]
        if result.error is not None:
            raise result.error

    async def delete_batch(self, tenant_id: str, ids: list[UUID]) -> list[ItemResult]:
        check_batch(len(ids), self.limits)
        async with self.db.tenant(tenant_id) as conn:
            removed_messages = await store.get_many(conn, tenant_id=tenant_id, ids=ids)
            removed = await store.delete_many(
                conn, tenant_id=tenant_id, ids=ids, context_chars=self.context_chars
            )
        results = []
        for i, message_id in enumerate(ids):
            if message_id in removed:
                results.append(ItemResult(index=i, status="deleted", id=message_id))
            else:
                results.append(
                    ItemResult(
                        index=i, status="error", id=message_id, error=message_not_found(message_id)
                    )
                )
        if removed and self.on_change is not None:
            gone = [m for m in removed_messages if m.id in removed]
            await self.on_change(tenant_id, "message.deleted", gone)
        return results
