"""The search statement run directly (store/search.py) with the service's own model,
weights and plan settings, for tests that pick the plan or the candidates' table."""

from __future__ import annotations

import json
import uuid
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import psycopg

from memory_mesh.domain.models import SearchHit, SearchQuery
from memory_mesh.runtime import Runtime
from memory_mesh.services.search import SearchService
from memory_mesh.store import search as store_search
from memory_mesh.store.search import SearchPlanConfig
from tests.integration import seed


async def run_planned(
    conn: Any,
    runtime: Runtime,
    query: SearchQuery,
    *,
    plan: str,
    vector: Any = None,
    narrow: bool | None = None,
    indexed_keywords: bool | None = None,
    postings: bool | None = None,
    scope_stats: store_search.ScopeStats | None = None,
    config: SearchPlanConfig | None = None,
) -> list[SearchHit]:
    """``query`` on ``conn`` with ``plan`` (``vector``: the query embedded by the
    service's model when not given; ``config``: the service's plan settings; the rest as
    :func:`~memory_mesh.store.search.start_search`)."""
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
        indexed_keywords=indexed_keywords,
        postings=postings,
        scope_stats=scope_stats,
    )


def _walk(node: dict[str, Any]) -> list[str]:
    """Each node as its type and the index or table it reads, if any."""
    read = node.get("Index Name") or node.get("Relation Name") or ""
    found = [f"{node.get('Node Type')} {read}".strip()]
    for child in node.get("Plans", []):
        found += _walk(child)
    return found


async def plan_nodes(conn: Any, statement: str) -> list[str]:
    """The nodes (type, and the index or table read) of ``statement``'s generic plan
    under the settings of ``conn``'s transaction."""
    cur = await conn.execute("explain (generic_plan, format json) " + statement)
    row = await cur.fetchone()
    plan = next(iter(row.values()))
    return _walk((json.loads(plan) if isinstance(plan, str) else plan)[0]["Plan"])


async def index_conditions(conn: Any, statement: str, index: str) -> list[str]:
    """The index conditions of each read of ``index`` in ``statement``'s generic plan
    under the settings of ``conn``'s transaction."""
    cur = await conn.execute("explain (generic_plan, format json) " + statement)
    row = await cur.fetchone()
    plan = next(iter(row.values()))
    found: list[str] = []

    def walk(node: dict[str, Any]) -> None:
        if node.get("Index Name") == index:
            found.append(str(node.get("Index Cond", "")))
        for child in node.get("Plans", []):
            walk(child)

    walk((json.loads(plan) if isinstance(plan, str) else plan)[0]["Plan"])
    return found


async def prepared_generic(conn: Any, opening: str) -> list[dict[str, Any]]:
    """The statements prepared on ``conn`` starting with ``opening`` that run their
    generic plan (others an earlier test prepared on the pooled connection are planned
    per search)."""
    cur = await conn.execute(
        "select name, statement, generic_plans, custom_plans from pg_prepared_statements"
        " where starts_with(statement, %s)",
        [opening],
    )
    return [p for p in await cur.fetchall() if p["generic_plans"] >= 1]


async def many_small_tenants(runtime: Runtime, database_url: str, count: int) -> None:
    """``count`` tenants of two rows each, then the table settled and analysed
    (:func:`settle_messages`): the planner's guess for any one tenant becomes a few rows."""
    ids = [f"small-{uuid.uuid4().hex[:10]}" for _ in range(count)]
    with psycopg.connect(database_url, autocommit=True) as admin:
        admin.cursor().executemany(
            "insert into tenants (id, name) values (%s, %s)", [(t, t) for t in ids]
        )
    now = datetime.now(UTC)
    for t in ids:
        conv = await seed.conversation(runtime, t)
        await seed.insert(runtime, t, [seed.Row(conv, now), seed.Row(conv, now)])
    settle_messages(database_url)


def settle_messages(database_url: str) -> None:
    """``messages`` and its indexes rewritten (VACUUM FULL), then vacuumed and analysed:
    the planner sees the rows the test wrote, in pages marked all-visible, as autovacuum
    keeps a live table; not the bloat earlier tests of this worker left (a B-tree never
    shrinks: after the retention tests' 50,000 deleted rows the indexes dwarf the table,
    and reading a bloated covering index lost to the tenant's B-tree in a plan test)."""
    with psycopg.connect(database_url, autocommit=True) as admin:
        admin.execute("vacuum full messages")
        admin.execute("vacuum analyze messages")


def service_with_exact_limit(runtime: Runtime, rows: int, **timing: float) -> SearchService:
    """The runtime's search service, but searching exactly only scopes of at most ``rows``
    rows (a few dozen test rows then make a "large" scope, searched through the indexes);
    ``timing``: its ``large_scope_seconds`` / ``small_scope_seconds``."""
    service = runtime.search
    return SearchService(
        runtime.db,
        runtime.embedder,
        weights=service.weights,
        plan=replace(service.plan, exact_max_rows=rows),
        limits=service.limits,
        **timing,
    )
