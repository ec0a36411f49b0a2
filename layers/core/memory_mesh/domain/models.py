"""Domain records and enumerations shared by services, store and HTTP schemas."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID


class Role(enum.StrEnum):
    user = "user"
    assistant = "assistant"
    system = "system"
    tool = "tool"


class EmbeddingStatus(enum.StrEnum):
    pending = "pending"
    ready = "ready"
    failed = "failed"


class SearchMode(enum.StrEnum):
    vector = "vector"
    keyword = "keyword"
    hybrid = "hybrid"


@dataclass
class Conversation:
    id: UUID
    tenant_id: str
    title: str | None
    metadata: dict[str, Any]
    created_at: datetime
    updated_at: datetime
    external_id: str | None = None  # the client's own id (domain/conversation_ref.py)


@dataclass
class Message:
    id: UUID
    tenant_id: str
    conversation_id: UUID
    role: Role
    content: str
    metadata: dict[str, Any]
    importance: float
    importance_explicit: bool
    created_at: datetime
    updated_at: datetime
    archived: bool
    embedding_status: EmbeddingStatus
    embedding_provider: str | None = None
    embedding_model: str | None = None
    embedding_dimensions: int | None = None
    embedding_attempts: int = 0
    embedding_error: str | None = None
    embedded_at: datetime | None = None
    conversation_external_id: str | None = None  # the conversation's external id, if any


@dataclass
class NewMessage:
    """A validated message about to be stored."""

    id: UUID
    tenant_id: str
    conversation_id: UUID
    role: Role
    content: str
    metadata: dict[str, Any]
    importance: float
    importance_explicit: bool
    created_at: datetime | None = None


@dataclass
class SearchQuery:
    tenant_id: str
    query: str
    top_k: int = 10
    mode: SearchMode = SearchMode.hybrid
    # a UUID or an external id as asked; the service resolves it to the UUID the store needs
    conversation_id: UUID | str | None = None
    role: Role | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    min_score: float = 0.0
    include_archived: bool = False
    reference_time: datetime | None = None  # recency measured from here (None: now)


@dataclass
class ScoreParts:
    score: float
    relevance: float
    similarity: float | None
    keyword: float | None
    importance: float
    recency: float
    vector_rank: int | None = None  # 1-based place in the vector candidate list
    keyword_rank: int | None = None  # ... and in the keyword one (None: not in it)


@dataclass
class SearchHit:
    message: Message
    scores: ScoreParts


@dataclass
class SearchResult:
    hits: list[SearchHit]
    plan: str  # "exact" or "hnsw": which candidate plan the scope chose
    scope_rows: int  # rows counted in scope (capped just above the exact limit)


@dataclass
class MessagePatch:
    """Fields to change on one message; ``None`` leaves a field as it is."""

    id: UUID
    content: str | None = None
    role: str | None = None
    metadata: dict[str, Any] | None = None
    importance: float | None = None
    archived: bool | None = None
