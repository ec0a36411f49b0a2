"""Bodies of the search routes (HTTP and the WebSocket's search)."""

from __future__ import annotations

from typing import Literal

from pydantic import AwareDatetime, BaseModel, Field

from memory_mesh.domain.models import Role, SearchHit, SearchMode
from memory_mesh.http.bodies.base import ConversationRefField, Metadata, Strict, TenantId
from memory_mesh.http.bodies.messages import MessageOut


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
