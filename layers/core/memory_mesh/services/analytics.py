"""Analytics of one tenant over a date range: usage, trends, top conversations and
embedding statistics. Inputs are checked in ``domain/analytics.py``; each figure set is
one set-based statement (``store/analytics.py``), run in the tenant's transaction."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from memory_mesh.domain.analytics import (
    DateRange,
    Granularity,
    check_buckets,
    check_timezone,
    check_top_limit,
    resolve_range,
)
from memory_mesh.store import analytics as store
from memory_mesh.store.database import Database


class AnalyticsService:
    def __init__(self, db: Database, *, max_span_days: int) -> None:
        self.db = db
        self.max_span_days = max_span_days

    def range(
        self, start: datetime | None, end: datetime | None, days: int | None = None
    ) -> DateRange:
        """The validated range (defaults: the last 30 days; ``days``: the last N days)."""
        return resolve_range(
            start, end, now=datetime.now(UTC), max_span_days=self.max_span_days, days=days
        )

    async def usage(self, tenant_id: str, span: DateRange) -> dict[str, Any]:
        async with self.db.tenant(tenant_id) as conn:
            return await store.usage(conn, tenant_id=tenant_id, span=span)

    async def trends(
        self, tenant_id: str, span: DateRange, granularity: Granularity, timezone: str
    ) -> list[dict[str, Any]]:
        check_buckets(span, granularity)
        check_timezone(timezone)
        async with self.db.tenant(tenant_id) as conn:
            return await store.trends(
                conn, tenant_id=tenant_id, span=span, granularity=granularity, timezone=timezone
            )

    async def top_conversations(
        self, tenant_id: str, span: DateRange, limit: int
    ) -> list[dict[str, Any]]:
        check_top_limit(limit)
        async with self.db.tenant(tenant_id) as conn:
            return await store.top_conversations(conn, tenant_id=tenant_id, span=span, limit=limit)

    async def embedding_stats(self, tenant_id: str, span: DateRange) -> dict[str, Any]:
        async with self.db.tenant(tenant_id) as conn:
            figures = await store.embedding_stats(conn, tenant_id=tenant_id, span=span)
        total = int(figures["messages"])
        figures["coverage"] = round(int(figures["ready"]) / total, 4) if total else None
        return figures
