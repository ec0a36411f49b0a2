"""The large-scope (HNSW) vector statement is planned once per connection (its generic
plan, prepared by psycopg), so a search does not pay for planning: with sorts disabled,
the only plan whose candidates need no sort walks the HNSW index, even where the planner
guesses a tenant holds a handful of rows (its generic estimate, many tenants in the
table), which would otherwise make reading the tenant's rows and sorting them look
cheapest. Planner-level: the plans are read from PostgreSQL, no timing."""

from __future__ import annotations

import json
import uuid
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import httpx
import psycopg

from memory_mesh.domain.models import Role, SearchMode, SearchQuery
from memory_mesh.runtime import Runtime
from memory_mesh.store import search as store_search
from tests.conftest import new_conversation
from tests.integration import seed
from tests.integration.search_support import run_planned

TEXTS = [f"note {i}: the {w} was mentioned on day {i}" for i in range(24) for w in ["garden"]]


def _walk(node: dict[str, Any]) -> list[str]:
    found = [f"{node.get('Node Type')} {node.get('Index Name') or ''}".strip()]
    for child in node.get("Plans", []):
        found += _walk(child)
    return found


async def _many_small_tenants(runtime: Runtime, database_url: str, count: int) -> None:
    """``count`` tenants of two rows each, then ANALYZE: the planner's guess for any one
    tenant becomes a few rows."""
    ids = [f"small-{uuid.uuid4().hex[:10]}" for _ in range(count)]
    with psycopg.connect(database_url, autocommit=True) as admin:
        admin.cursor().executemany(
            "insert into tenants (id, name) values (%s, %s)", [(t, t) for t in ids]
        )
    now = datetime.now(UTC)
    for t in ids:
        conv = await seed.conversation(runtime, t)
        await seed.insert(runtime, t, [seed.Row(conv, now), seed.Row(conv, now)])
    with psycopg.connect(database_url, autocommit=True) as admin:
        admin.execute("analyze messages")


async def test_the_hnsw_vector_statement_reuses_a_generic_plan_that_walks_the_hnsw_index(
    runtime: Runtime, client: httpx.AsyncClient, tenant: str, database_url: str
) -> None:
    conv = await new_conversation(client, tenant)
    body = (
        await client.post(
            "/v1/messages/batch",
            json={
                "tenant_id": tenant,
                "items": [{"conversation_id": conv, "role": "user", "content": t} for t in TEXTS],
            },
        )
    ).json()
    assert body["failed"] == 0
    await _many_small_tenants(runtime, database_url, 300)
    service = runtime.search
    query = SearchQuery(tenant_id=tenant, query="garden", mode=SearchMode.vector, top_k=5)
    vector = service.embedder.embed_query(query.query)
    config = replace(service.plan, exact_max_rows=10)
    async with runtime.db.tenant(tenant) as conn:
        found = []
        for _ in range(8):  # psycopg prepares a statement on its 6th execution
            hits = await run_planned(
                conn, runtime, query, plan="hnsw", vector=vector, config=config
            )
            found.append([h.message.id for h in hits])
        assert len(found[0]) == 5 and all(f == found[0] for f in found)
        cur = await conn.execute(
            "select statement, generic_plans, custom_plans from pg_prepared_statements"
            " where statement like 'with vec as%%'"
        )
        # (other search statements an earlier test prepared on this pooled connection
        # are planned per search: only this one is generic)
        prepared = [p for p in await cur.fetchall() if p["generic_plans"] >= 1]
        assert len(prepared) == 1
        assert prepared[0]["custom_plans"] == 0
        # the generic plan, under the settings the search set in this transaction
        cur = await conn.execute("explain (generic_plan, format json) " + prepared[0]["statement"])
        plan = next(iter((await cur.fetchone()).values()))  # type: ignore[union-attr]
    nodes = _walk(json.loads(plan)[0]["Plan"] if isinstance(plan, str) else plan[0]["Plan"])
    assert "Index Scan messages_embedding_hnsw" in nodes, nodes
    assert not any("messages_tenant" in n or "Seq Scan" in n for n in nodes), nodes


def test_only_a_whole_tenant_vector_search_on_the_hnsw_plan_reuses_a_generic_plan() -> None:
    # a filter keeps custom plans: a B-tree range plus a sort can be its better plan
    whole = SearchQuery(tenant_id="t", query="q", mode=SearchMode.vector)
    assert store_search.generic_plan_applies(whole, "hnsw")
    assert not store_search.generic_plan_applies(whole, "exact")
    for mode in (SearchMode.hybrid, SearchMode.keyword):
        assert not store_search.generic_plan_applies(replace(whole, mode=mode), "hnsw")
    for narrowed in (
        replace(whole, conversation_id="c1"),
        replace(whole, role=Role.user),
        replace(whole, created_after=datetime.now(UTC)),
        replace(whole, created_before=datetime.now(UTC)),
        replace(whole, metadata={"k": "v"}),
    ):
        assert not store_search.generic_plan_applies(narrowed, "hnsw")
