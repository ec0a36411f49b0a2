"""Bodies of the /v1/conversations routes."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from pydantic import BaseModel, Field, StringConstraints

from memory_mesh.domain.models import Conversation
from memory_mesh.http.bodies.base import (
    CONVERSATION_EXTERNAL_ID,
    ExternalId,
    Metadata,
    Strict,
    TenantId,
)
from memory_mesh.http.bodies.messages import MessageOut


class ConversationCreate(Strict):
    tenant_id: TenantId | None = None
    title: Annotated[str, StringConstraints(max_length=500)] | None = None
    metadata: Metadata = Field(default_factory=dict)
    id: UUID | None = Field(None, description="Client-chosen id (a retried create is safe).")
    external_id: ExternalId | None = Field(
        None,
        description="Your own id for it (e.g. `user-123`), usable wherever a conversation "
        "id is. A create naming an external id the tenant holds returns that conversation "
        "(200, unchanged).",
        examples=["user-123"],
    )


class ConversationUpdate(Strict):
    tenant_id: TenantId | None = None
    title: Annotated[str, StringConstraints(max_length=500)] | None = None
    metadata: Metadata | None = None


class ConversationOut(BaseModel):
    id: UUID = Field(description="The server's id.")
    external_id: str | None = Field(description="Your own id for it, if it has one.")
    tenant_id: str
    title: str | None
    metadata: dict[str, Any]
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, c: Conversation) -> ConversationOut:
        return cls(
            id=c.id,
            external_id=c.external_id,
            tenant_id=c.tenant_id,
            title=c.title,
            metadata=c.metadata,
            created_at=c.created_at,
            updated_at=c.updated_at,
        )


class ConversationPage(BaseModel):
    items: list[ConversationOut]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null at end.")


class MessagePage(BaseModel):
    items: list[MessageOut]
    next_cursor: str | None


class ConversationStats(BaseModel):
    conversation_id: UUID
    conversation_external_id: str | None = CONVERSATION_EXTERNAL_ID
    message_count: int
    archived_count: int
    by_role: dict[str, int]
    first_message_at: datetime | None
    last_message_at: datetime | None
    mean_importance: float | None
    embedded_count: int
    pending_count: int
    failed_count: int
    embedding_coverage: float | None = Field(description="Share of messages with a vector.")


class DeletedConversation(BaseModel):
    id: UUID
    external_id: str | None
    deleted_messages: int
