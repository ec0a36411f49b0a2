"""The search statement run directly (store/search.py) with the service's own model,
weights and plan settings, for tests that pick the plan or the candidates' table."""

from __future__ import annotations

from typing import Any

from memory_mesh.domain.models import SearchHit, SearchQuery
from memory_mesh.runtime import Runtime
from memory_mesh.store import search as store_search
from memory_mesh.store.search import SearchPlanConfig


async def run_planned(
    conn: Any,
    runtime: Runtime,
    query: SearchQuery,
    *,
    plan: str,
    vector: Any = None,
    narrow: bool | None = None,
    config: SearchPlanConfig | None = None,
) -> list[SearchHit]:
    """``query`` on ``conn`` with ``plan`` (``vector``: the query embedded by the
    service's model when not given; ``config``: the service's plan settings)."""
    service = runtime.search
    return await store_search.run_search(
        conn,
        query=query,
        query_vector=service.embedder.embed_query(query.query) if vector is None else vector,
        model=service.embedder.info.model,
        weights=service.weights,
        config=service.plan if config is None else config,
        plan=plan,
        narrow=narrow,
    )
