"""The server's answers as typed models (the shapes of its OpenAPI document).

Fields a newer server adds are kept (``extra="allow"``), so an older client keeps working.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Generic, Literal, TypeVar
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

T = TypeVar("T")

Role = Literal["user", "assistant", "system", "tool"]
SearchMode = Literal["hybrid", "vector", "keyword"]


class Model(BaseModel):
    model_config = ConfigDict(extra="allow")


class Embedding(Model):
    status: str
    provider: str | None = None
    model: str | None = None
    dimensions: int | None = None
    attempts: int = 0
    error: str | None = None
    embedded_at: datetime | None = None


class Message(Model):
    id: UUID
    tenant_id: str
    conversation_id: UUID
    conversation_external_id: str | None = None
    role: Role
    content: str
    metadata: dict[str, Any] = Field(default_factory=dict)
    importance: float
    importance_explicit: bool = False
    archived: bool = False
    created_at: datetime
    updated_at: datetime
    embedding: Embedding


class Conversation(Model):
    id: UUID
    external_id: str | None = None
    tenant_id: str
    title: str | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)
    created_at: datetime
    updated_at: datetime


class ConversationStats(Model):
    conversation_id: UUID
    conversation_external_id: str | None = None
    message_count: int
    archived_count: int
    by_role: dict[str, int]
    first_message_at: datetime | None = None
    last_message_at: datetime | None = None
    mean_importance: float | None = None
    embedded_count: int
    pending_count: int
    failed_count: int
    embedding_coverage: float | None = None


class DeletedConversation(Model):
    id: UUID
    external_id: str | None = None
    deleted_messages: int


class Scores(Model):
    """How a hit was ranked: ``score`` is the blend of the parts (see the server README)."""

    score: float
    relevance: float
    similarity: float | None = None
    keyword: float | None = None
    importance: float
    recency: float
    vector_rank: int | None = None
    keyword_rank: int | None = None


class SearchHit(Model):
    message: Message
    scores: Scores


class SearchResult(Model):
    query: str
    mode: SearchMode
    degraded: bool
    plan: str
    results: list[SearchHit]


class ItemError(Model):
    code: str
    message: str


class BatchItem(Model):
    index: int
    status: Literal["created", "existing", "updated", "deleted", "error"]
    id: UUID | None = None
    message: Message | None = None
    error: ItemError | None = None


class BatchResult(Model):
    succeeded: int
    failed: int
    results: list[BatchItem]


class Page(Model, Generic[T]):
    items: list[T]
    next_cursor: str | None = None


class Tokens(Model):
    token_type: str = "bearer"
    access_token: str
    access_expires_at: datetime
    refresh_token: str | None = None
    refresh_expires_at: datetime


class TenantAccess(Model):
    tenant_id: str
    scopes: list[str]
    role: str | None = None


class Me(Model):
    kind: str
    id: UUID
    email: str | None = None
    username: str | None = None
    is_superuser: bool = False
    tenants: list[TenantAccess]


class ApiKey(Model):
    id: UUID
    tenant_id: str
    name: str
    prefix: str
    scopes: list[str]
    created_at: datetime
    expires_at: datetime | None = None
    last_used_at: datetime | None = None
    revoked_at: datetime | None = None


class NewApiKey(ApiKey):
    key: str = Field(description="The key itself, shown once.")


class Registered(Model):
    user_id: UUID
    tenant_id: str


class Event(Model):
    """A live event of ``/ws/messages/{tenant}``: ``message.created|updated|deleted|embedded``."""

    type: str
    tenant_id: str | None = None
    conversation_id: str | None = None
    message: Message | None = None
    time: datetime | None = None
