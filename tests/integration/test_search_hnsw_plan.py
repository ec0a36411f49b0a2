"""The large-scope (HNSW) vector statement is planned once per connection (its generic
plan, prepared by psycopg), so a search does not pay for planning: with sorts disabled,
the only plan whose candidates need no sort walks the HNSW index, even where the planner
guesses a tenant holds a handful of rows (its generic estimate, many tenants in the
table), which would otherwise make reading the tenant's rows and sorting them look
cheapest. Planner-level: the plans are read from PostgreSQL, no timing."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import httpx

from memory_mesh.domain.models import Role, SearchMode, SearchQuery
from memory_mesh.runtime import Runtime
from memory_mesh.store import search as store_search
from tests.conftest import new_conversation
from tests.integration.search_support import (
    many_small_tenants,
    plan_nodes,
    prepared_generic,
    run_planned,
)

TEXTS = [f"note {i}: the {w} was mentioned on day {i}" for i in range(24) for w in ["garden"]]


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
    await many_small_tenants(runtime, database_url, 300)
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
        prepared = await prepared_generic(conn, "with vec as")
        assert len(prepared) == 1
        assert prepared[0]["custom_plans"] == 0
        # the generic plan, under the settings the search set in this transaction
        nodes = await plan_nodes(conn, prepared[0]["statement"])
    assert "Index Scan messages_embedding_hnsw" in nodes, nodes
    # the candidates come from the walk, never from the tenant's rows (the whole plan
    # listed on failure: a truncated list once hid which node it was)
    assert not any("messages_tenant" in n or n == "Seq Scan messages" for n in nodes), ", ".join(
        nodes
    )


def test_which_searches_reuse_a_generic_plan() -> None:
    # on the HNSW plan only a whole tenant's vector search: a filter keeps custom plans,
    # as a B-tree range plus a sort can be its better plan. The exact plan over messages
    # (a metadata filter) needs the tenant's real size for its join back to messages, and
    # a large scope's keyword matches (GIN indexes, postings) their words (store/search.py).
    # The narrow exact plan's generic plan is tested in test_search_narrow_plan.py
    whole = SearchQuery(tenant_id="t", query="q", mode=SearchMode.vector)
    assert store_search.generic_plan_applies(whole, "hnsw")
    assert not store_search.generic_plan_applies(whole, "hnsw", narrow=True)
    for mode in SearchMode:
        query = replace(whole, mode=mode)
        assert store_search.generic_plan_applies(query, "exact")
        assert not store_search.generic_plan_applies(query, "exact", narrow=False)
        assert not store_search.generic_plan_applies(replace(query, metadata={"k": "v"}), "exact")
        large = store_search.generic_plan_applies(query, "exact", indexed_keywords=True)
        assert large is (mode is SearchMode.vector)  # no keyword part to find
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
