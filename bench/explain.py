"""EXPLAIN ANALYZE of the exact statement the service runs for a search.

``store.search.run_search`` is called with a connection stand-in that passes every
statement through (so the plan's ``set local`` settings apply) except the search itself,
which it runs under ``EXPLAIN (ANALYZE, FORMAT JSON)`` and answers with no rows. The
summary names the scans the plan used (e.g. the HNSW index or a bitmap scan of the
tenant B-tree), so a latency that looks wrong can be traced to its plan.
"""

from __future__ import annotations

from typing import Any, cast

import numpy as np
from psycopg import sql

from memory_mesh.domain.models import SearchQuery
from memory_mesh.runtime import Runtime
from memory_mesh.store import search as store_search


class _NoRows:
    async def fetchall(self) -> list[dict[str, Any]]:
        return []

    async def fetchone(self) -> None:
        return None


class _ExplainingConn:
    def __init__(self, conn: Any, instead: str | None = None) -> None:
        self._conn = conn
        self._instead = instead
        self.plan: dict[str, Any] | None = None

    async def execute(self, query: Any, params: Any = None, **kwargs: Any) -> Any:
        text = query.as_string(self._conn) if isinstance(query, sql.Composable) else str(query)
        if text.lstrip().lower().startswith("with "):
            text = self._instead or text
            explain = sql.SQL("explain (analyze, buffers, format json) ") + sql.SQL(text)
            cur = await self._conn.execute(explain, params, **kwargs)
            row = await cur.fetchone()
            document = next(iter(row.values())) if isinstance(row, dict) else row[0]
            self.plan = document[0]
            return _NoRows()
        return await self._conn.execute(query, params, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._conn, name)


def _walk(node: dict[str, Any], found: list[str]) -> None:
    kind = node.get("Node Type", "?")
    target = node.get("Index Name") or node.get("Relation Name") or node.get("Function Name")
    if target or "Scan" in kind:
        found.append(f"{kind} ({target})" if target else kind)
    for child in node.get("Plans", []):
        _walk(child, found)


async def explain_search(
    runtime: Runtime,
    query: SearchQuery,
    vector: np.ndarray,
    plan: str,
    *,
    instead: str | None = None,
    **search: Any,
) -> dict[str, Any]:
    """Scans, buffers and server-side time of the service's statement for ``query`` under
    ``plan`` (``instead``: another statement text run in its place, with the same settings
    and parameters, e.g. another checkout's, for a side-by-side comparison; ``search``:
    more of ``run_search``'s keyword arguments, e.g. ``indexed_keywords``)."""
    try:
        async with runtime.db.tenant(query.tenant_id) as conn:
            proxy = _ExplainingConn(conn, instead)
            await store_search.run_search(
                cast(Any, proxy),
                query=query,
                query_vector=vector,
                model=runtime.embedder.info.model,
                weights=runtime.search.weights,
                config=runtime.search.plan,
                plan=plan,
                **search,
            )
    except Exception as exc:  # diagnostics only: never fail the benchmark on them
        return {"error": f"{type(exc).__name__}: {exc}"}
    if proxy.plan is None:
        return {"error": "the search statement was not seen"}
    scans: list[str] = []
    _walk(proxy.plan["Plan"], scans)
    top = proxy.plan["Plan"]
    return {
        "scans": scans,
        "buffers": int(top.get("Shared Hit Blocks", 0)) + int(top.get("Shared Read Blocks", 0)),
        "execution_ms": round(float(proxy.plan.get("Execution Time", 0.0)), 3),
        "planning_ms": round(float(proxy.plan.get("Planning Time", 0.0)), 3),
    }
