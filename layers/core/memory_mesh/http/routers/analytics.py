"""/v1/analytics: a tenant's usage, trends, top conversations and embedding statistics
over a date range ``[from, to)`` (default: the last 30 days). Needs the ``read`` scope."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from memory_mesh.domain.analytics import DateRange, Granularity
from memory_mesh.domain.identity import Scope
from memory_mesh.http.bodies.base import TenantId
from memory_mesh.http.deps import AnalyticsDep
from memory_mesh.http.routers.common import ERRORS
from memory_mesh.http.security import AccessDep

router = APIRouter(prefix="/v1/analytics", tags=["analytics"], responses=ERRORS)

TenantQuery = Annotated[TenantId | None, Query(description="Tenant to report on.")]
From = Annotated[
    datetime | None,
    Query(
        alias="from",
        description="Start (inclusive), ISO 8601 with a zone; default: 30 days before `to`.",
    ),
]
To = Annotated[
    datetime | None,
    Query(alias="to", description="End (exclusive), ISO 8601 with a zone; default: now."),
]
Days = Annotated[
    int | None,
    Query(description="Shorthand for the window: the N days before `to` (not with `from`)."),
]


class RangeOut(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    start: datetime = Field(alias="from")
    end: datetime = Field(alias="to")

    @classmethod
    def of(cls, span: DateRange) -> RangeOut:
        return cls(start=span.start, end=span.end)


class StoredOut(BaseModel):
    messages: int
    archived: int
    conversations: int


class UsageOut(BaseModel):
    tenant_id: str
    range: RangeOut
    messages: int = Field(description="Messages created in the range.")
    by_role: dict[str, int]
    archived: int = Field(description="Of those, archived now.")
    content_chars: int
    mean_importance: float | None
    active_conversations: int = Field(description="Conversations with a message in the range.")
    conversations_created: int
    stored: StoredOut = Field(description="The tenant's totals now, whatever the range.")


class BucketOut(BaseModel):
    bucket_start: datetime
    messages: int
    user_messages: int
    assistant_messages: int
    system_messages: int
    tool_messages: int
    active_conversations: int
    mean_importance: float | None


class TrendsOut(BaseModel):
    tenant_id: str
    range: RangeOut
    granularity: Granularity
    timezone: str
    buckets: list[BucketOut] = Field(
        description="Every bucket from the one holding `from` to the one holding `to`, "
        "empty ones with 0; only messages inside the range count."
    )


class TopConversationOut(BaseModel):
    id: UUID
    external_id: str | None = Field(description="Your own id for the conversation, if any.")
    title: str | None
    created_at: datetime
    messages: int = Field(description="Messages in the range.")
    first_message_at: datetime
    last_message_at: datetime
    mean_importance: float | None


class TopConversationsOut(BaseModel):
    tenant_id: str
    range: RangeOut
    items: list[TopConversationOut]


class ModelOut(BaseModel):
    provider: str | None
    model: str | None
    dimensions: int | None
    messages: int


class LatencyOut(BaseModel):
    p50: float | None
    p90: float | None
    p99: float | None
    mean: float | None
    max: float | None


class ErrorCountOut(BaseModel):
    error: str
    messages: int


class EmbeddingStatsOut(BaseModel):
    tenant_id: str
    range: RangeOut
    messages: int
    ready: int
    pending: int
    failed: int
    coverage: float | None = Field(description="ready / messages (null without messages).")
    models: list[ModelOut] = Field(description="Vectors by provider, model and dimension.")
    latency_ms: LatencyOut = Field(
        description="From the request of the current embedding (store, or content change) "
        "to its vector, over ready messages."
    )
    top_errors: list[ErrorCountOut] = Field(description="Commonest errors of unembedded rows.")


@router.get("/usage", summary="Usage in a date range")
async def usage(
    service: AnalyticsDep,
    access: AccessDep,
    tenant_id: TenantQuery = None,
    start: From = None,
    end: To = None,
    days: Days = None,
) -> UsageOut:
    tenant = await access.tenant(tenant_id, Scope.read)
    span = service.range(start, end, days)
    f = await service.usage(tenant, span)
    return UsageOut(
        tenant_id=tenant,
        range=RangeOut.of(span),
        messages=f["messages"],
        by_role=f["by_role"],
        archived=f["archived"],
        content_chars=f["content_chars"],
        mean_importance=f["mean_importance"],
        active_conversations=f["active_conversations"],
        conversations_created=f["conversations_created"],
        stored=StoredOut(
            messages=f["stored_messages"],
            archived=f["stored_archived"],
            conversations=f["stored_conversations"],
        ),
    )


@router.get("/trends", summary="Messages over time")
async def trends(
    service: AnalyticsDep,
    access: AccessDep,
    tenant_id: TenantQuery = None,
    start: From = None,
    end: To = None,
    days: Days = None,
    granularity: Granularity = Granularity.day,
    timezone: Annotated[
        str, Query(description="IANA zone the buckets follow (local midnight, Monday, 1st).")
    ] = "UTC",
) -> TrendsOut:
    tenant = await access.tenant(tenant_id, Scope.read)
    span = service.range(start, end, days)
    rows = await service.trends(tenant, span, granularity, timezone)
    return TrendsOut(
        tenant_id=tenant,
        range=RangeOut.of(span),
        granularity=granularity,
        timezone=timezone,
        buckets=[BucketOut(**row) for row in rows],
    )


@router.get("/top-conversations", summary="The busiest conversations in a date range")
async def top_conversations(
    service: AnalyticsDep,
    access: AccessDep,
    tenant_id: TenantQuery = None,
    start: From = None,
    end: To = None,
    days: Days = None,
    limit: Annotated[int, Query(description="How many (1..100).")] = 10,
) -> TopConversationsOut:
    tenant = await access.tenant(tenant_id, Scope.read)
    span = service.range(start, end, days)
    rows = await service.top_conversations(tenant, span, limit)
    return TopConversationsOut(
        tenant_id=tenant,
        range=RangeOut.of(span),
        items=[TopConversationOut(**row) for row in rows],
    )


@router.get("/embedding-stats", summary="Embedding coverage, failures, models and latency")
async def embedding_stats(
    service: AnalyticsDep,
    access: AccessDep,
    tenant_id: TenantQuery = None,
    start: From = None,
    end: To = None,
    days: Days = None,
) -> EmbeddingStatsOut:
    tenant = await access.tenant(tenant_id, Scope.read)
    span = service.range(start, end, days)
    f: dict[str, Any] = await service.embedding_stats(tenant, span)
    return EmbeddingStatsOut(
        tenant_id=tenant,
        range=RangeOut.of(span),
        messages=f["messages"],
        ready=f["ready"],
        pending=f["pending"],
        failed=f["failed"],
        coverage=f["coverage"],
        models=[ModelOut(**m) for m in f["models"]],
        latency_ms=LatencyOut(
            p50=f["latency_p50_ms"],
            p90=f["latency_p90_ms"],
            p99=f["latency_p99_ms"],
            mean=f["latency_mean_ms"],
            max=f["latency_max_ms"],
        ),
        top_errors=[ErrorCountOut(**e) for e in f["top_errors"]],
    )
