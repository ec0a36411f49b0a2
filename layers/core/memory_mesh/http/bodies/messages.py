"""Bodies of the /v1/messages routes, and the one serialisation of a message."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal
from uuid import UUID

from pydantic import BaseModel, Field

from memory_mesh.domain.conversation_ref import REF_DESCRIPTION
from memory_mesh.domain.models import EmbeddingStatus, Message, Role
from memory_mesh.http.bodies.base import (
    CONVERSATION_EXTERNAL_ID,
    ConversationRefField,
    Metadata,
    Strict,
    TenantId,
)

if TYPE_CHECKING:
    from memory_mesh.services.messages import ItemResult


class ItemError(BaseModel):
    code: str
    message: str


class MessageCreate(Strict):
    tenant_id: TenantId | None = None
    conversation_id: ConversationRefField = Field(
        description=REF_DESCRIPTION + " Your own id creates the conversation on first use.",
        examples=["user-123"],
    )
    role: Role
    content: str = Field(description="The message text.", examples=["I'm allergic to peanuts."])
    metadata: Metadata = Field(default_factory=dict)
    importance: float | None = Field(
        None, description="Explicit importance in [0, 1]; computed when absent."
    )
    id: UUID | None = Field(
        None, description="Client-chosen id: a retried create returns the stored message."
    )
    created_at: datetime | None = Field(
        None, description="When it was said (for imported history); default now."
    )


class MessageBatchItem(Strict):
    conversation_id: ConversationRefField
    role: Role
    content: str
    metadata: Metadata = Field(default_factory=dict)
    importance: float | None = None
    id: UUID | None = None
    created_at: datetime | None = None


class MessageBatchCreate(Strict):
    tenant_id: TenantId | None = None
    items: list[MessageBatchItem]


class MessageUpdate(Strict):
    tenant_id: TenantId | None = None
    content: str | None = Field(None, description="New text; the message is re-embedded.")
    role: Role | None = None
    metadata: Metadata | None = Field(None, description="Replaces the metadata.")
    importance: float | None = None
    archived: bool | None = None


class MessageBatchUpdateItem(Strict):
    id: UUID
    content: str | None = None
    role: Role | None = None
    metadata: Metadata | None = None
    importance: float | None = None
    archived: bool | None = None


class MessageBatchUpdate(Strict):
    tenant_id: TenantId | None = None
    items: list[MessageBatchUpdateItem]


class MessageBatchDelete(Strict):
    tenant_id: TenantId | None = None
    ids: list[UUID]


class EmbeddingOut(BaseModel):
    status: EmbeddingStatus
    provider: str | None
    model: str | None
    dimensions: int | None
    attempts: int
    error: str | None
    embedded_at: datetime | None


class MessageOut(BaseModel):
    id: UUID
    tenant_id: str
    conversation_id: UUID = Field(description="The conversation's server id.")
    conversation_external_id: str | None = CONVERSATION_EXTERNAL_ID
    role: Role
    content: str
    metadata: dict[str, Any]
    importance: float
    importance_explicit: bool
    archived: bool
    created_at: datetime
    updated_at: datetime
    embedding: EmbeddingOut

    @classmethod
    def of(cls, m: Message) -> MessageOut:
        return cls(
            id=m.id,
            tenant_id=m.tenant_id,
            conversation_id=m.conversation_id,
            conversation_external_id=m.conversation_external_id,
            role=m.role,
            content=m.content,
            metadata=m.metadata,
            importance=m.importance,
            importance_explicit=m.importance_explicit,
            archived=m.archived,
            created_at=m.created_at,
            updated_at=m.updated_at,
            embedding=EmbeddingOut(
                status=m.embedding_status,
                provider=m.embedding_provider,
                model=m.embedding_model,
                dimensions=m.embedding_dimensions,
                attempts=m.embedding_attempts,
                error=m.embedding_error,
                embedded_at=m.embedded_at,
            ),
        )


class BatchItemOut(BaseModel):
    index: int
    status: Literal["created", "existing", "updated", "deleted", "error"]
    id: UUID | None = None
    message: MessageOut | None = None
    error: ItemError | None = None


class BatchOut(BaseModel):
    succeeded: int
    failed: int
    results: list[BatchItemOut]


def batch_out(results: list[ItemResult]) -> BatchOut:
    items = [
        BatchItemOut(
            index=r.index,
            status=r.status,
            id=r.id,
            message=MessageOut.of(r.message) if r.message is not None else None,
            error=ItemError(code=r.error.code, message=r.error.message) if r.error else None,
        )
        for r in results
    ]
    failed = sum(1 for r in results if r.status == "error")
    return BatchOut(succeeded=len(results) - failed, failed=failed, results=items)
