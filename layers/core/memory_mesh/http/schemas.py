"""Request and response bodies of the HTTP API (also the OpenAPI document's schemas)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints, model_validator

from memory_mesh.domain.conversation_ref import EXTERNAL_ID_PATTERN, REF_DESCRIPTION
from memory_mesh.domain.identity import TENANT_ID_PATTERN
from memory_mesh.domain.models import (
    Conversation,
    EmbeddingStatus,
    Message,
    Role,
    SearchHit,
    SearchMode,
)
from memory_mesh.domain.validation import check_text
from memory_mesh.errors import InvalidInput

TenantId = Annotated[
    str,
    StringConstraints(pattern=TENANT_ID_PATTERN),
    Field(
        description="Tenant the data belongs to: 1-128 letters, digits, '_', '.', ':' or '-'. "
        "May be left out when the credential holds one tenant (an API key always does).",
        examples=["acme"],
    ),
]
# a conversation as a request names it; both forms fit the pattern, the service tells them
# apart (domain/conversation_ref.py)
ConversationRefField = Annotated[
    str,
    StringConstraints(pattern=EXTERNAL_ID_PATTERN),
    Field(description=REF_DESCRIPTION, examples=["user-123"]),
]
ExternalId = Annotated[
    str,
    StringConstraints(pattern=EXTERNAL_ID_PATTERN),
    Field(
        description="Your own id for the conversation: 1-128 letters, digits, '.', '_', ':', "
        "'@' or '-', starting with a letter or digit, not UUID-shaped; unique in the "
        "tenant, fixed once set.",
        examples=["user-123"],
    ),
]
CONVERSATION_EXTERNAL_ID = Field(
    None, description="The conversation's external id (your own id for it), if it has one."
)
Metadata = Annotated[
    dict[str, Any],
    Field(description="Free JSON object (size and depth limited).", examples=[{"topic": "travel"}]),
]


# Names other APIs (the seed README, mem0, Zep, SQL habits) use for a field this API
# calls otherwise; an unknown field in the left column is answered with the right one
# when the request has that field.
FIELD_INSTEAD: dict[str, str] = {
    "limit": "top_k",
    "k": "top_k",
    "text": "content",
    "message": "content",
    "importance_score": "importance",
    "session_id": "conversation_id",
    "thread_id": "conversation_id",
    "name": "title",
    "tenant": "tenant_id",
    "messages": "items",
    "message_ids": "ids",
    "threshold": "min_score",
    "similarity_threshold": "min_score",
    "filters": "metadata",
    "start_date": "created_after",
    "end_date": "created_before",
}


class Strict(BaseModel):
    """A request body: no text may hold a lone surrogate, and an unknown field is a 422
    naming it (and the field to use instead, when :data:`FIELD_INSTEAD` knows one)."""

    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _checked(cls, data: Any) -> Any:
        check_text(data)  # raises InvalidInput (422 invalid_characters), naming the field
        if isinstance(data, dict):
            known = set(cls.model_fields) | {
                f.alias for f in cls.model_fields.values() if f.alias is not None
            }
            for name in data:
                if name in known:
                    continue
                instead = FIELD_INSTEAD.get(str(name))
                hint = (
                    f"use {instead!r} instead"
                    if instead in known
                    else "fields: " + ", ".join(sorted(cls.model_fields))
                )
                problem = f"is not a field of this request; {hint}"
                raise InvalidInput(
                    f"{name}: {problem}",
                    code="validation_error",  # the code extra fields always had
                    details=[{"field": str(name), "problem": problem}],
                )
        return data


# --- errors ---------------------------------------------------------------------


class ErrorDetail(BaseModel):
    field: str | None = None
    problem: str


class ErrorBody(BaseModel):
    code: str = Field(description="Stable machine-readable code.", examples=["message_not_found"])
    message: str = Field(description="What is wrong, for a person.")
    request_id: str | None = Field(None, description="Quote it when reporting a problem.")
    details: list[ErrorDetail] = Field(default_factory=list)


class ItemError(BaseModel):
    code: str
    message: str


# --- messages -------------------------------------------------------------------


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


# --- conversations --------------------------------------------------------------


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


# --- search ---------------------------------------------------------------------


class SearchRequest(Strict):
    tenant_id: TenantId | None = None
    query: str = Field(examples=["what food can't I eat?"])
    top_k: int = Field(10, description="How many results (1..MEMORY_MAX_TOP_K).")
    mode: SearchMode = SearchMode.hybrid
    conversation_id: ConversationRefField | None = None
    role: Role | None = None
    created_after: AwareDatetime | None = Field(
        None, description="Only messages created at or after this time (ISO 8601 with a zone)."
    )
    created_before: AwareDatetime | None = Field(
        None, description="Only messages created before this time (ISO 8601 with a zone)."
    )
    metadata: Metadata = Field(default_factory=dict, description="Results' metadata contains this.")
    min_score: float = Field(
        0.0,
        description="Drop results scoring below this (0..1). The score is at most the hit's "
        "relevance, which is absolute (similarity, keyword score), so 0.1 removes hits "
        "unrelated to the query.",
    )
    include_archived: bool = False
    reference_time: AwareDatetime | None = Field(
        None, description="Measure recency from this time instead of now (search 'as of')."
    )


class ScoresOut(BaseModel):
    score: float = Field(
        description="relevance * (w_rel + w_imp * importance + w_rec * recency), weights "
        "normalised: in [0, relevance]."
    )
    relevance: float = Field(
        description="Similarity (vector), keyword score (keyword), or (hybrid) "
        "(1 - h) * similarity + h * keyword (h 0.6), a missing score counting 0, so an "
        "unrelated hit scores ~0."
    )
    similarity: float | None = Field(description="Cosine similarity to the query (0..1).")
    keyword: float | None = Field(
        description="BM25 over the message and its context (the previous message, half "
        "weight), divided by the query's best possible BM25 in the scope (0..1)."
    )
    importance: float
    recency: float = Field(description="0.5 ** (age / half-life).")
    vector_rank: int | None = Field(
        None, description="Place in the vector candidate list (1 = nearest); null if not in it."
    )
    keyword_rank: int | None = Field(
        None, description="Place in the keyword candidate list (1 = best); null if not in it."
    )


class SearchHitOut(BaseModel):
    message: MessageOut
    scores: ScoresOut

    @classmethod
    def of(cls, hit: SearchHit) -> SearchHitOut:
        s = hit.scores
        return cls(
            message=MessageOut.of(hit.message),
            scores=ScoresOut(
                score=round(s.score, 6),
                relevance=round(s.relevance, 6),
                similarity=None if s.similarity is None else round(s.similarity, 6),
                keyword=None if s.keyword is None else round(s.keyword, 6),
                importance=round(s.importance, 6),
                recency=round(s.recency, 6),
                vector_rank=s.vector_rank,
                keyword_rank=s.keyword_rank,
            ),
        )


class SearchOut(BaseModel):
    query: str
    mode: SearchMode = Field(description="The mode used (hybrid degrades to keyword if needed).")
    degraded: bool = Field(description="True when the embedder was unavailable.")
    plan: Literal["exact", "hnsw"] = Field(description="Candidate plan the scope chose.")
    results: list[SearchHitOut]


# --- admin ----------------------------------------------------------------------


class HealthOut(BaseModel):
    status: Literal["ok"]
    version: str


class CheckOut(BaseModel):
    name: str
    ok: bool
    latency_ms: float
    detail: str | None = None


class ReadinessOut(BaseModel):
    ready: bool
    checks: list[CheckOut]


class ReplayOut(BaseModel):
    requeued: int
