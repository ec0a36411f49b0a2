"""The narrow exact vector statement (a scope searched in ``message_vectors``) is planned
once per connection: psycopg prepares it and PostgreSQL reuses its generic plan, so a
search does not pay for planning. Its settings pin that plan's shape whatever the
planner guesses of the scope (here: hundreds of two-row tenants, which make any
tenant look tiny): the scope read from the covering B-tree, each candidate read back by
primary key. And it ranks exactly as the plan made per search did. Planner-level: the
plans are read from PostgreSQL, no timing."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from memory_mesh.domain.models import Role, SearchMode, SearchQuery
from memory_mesh.runtime import Runtime
from memory_mesh.store import search as store_search
from tests.conftest import new_conversation
from tests.integration.batch import store_batch
from tests.integration.search_support import (
    many_small_tenants,
    plan_nodes,
    prepared_generic,
    run_planned,
)

TEXTS = [f"note {i}: the {w} came up on day {i}" for i in range(12) for w in ("garden", "boat")]


def _ranking(hits: list[store_search.SearchHit]) -> list[tuple[str, float, float | None]]:
    return [(str(h.message.id), h.scores.score, h.scores.similarity) for h in hits]


async def test_the_narrow_vector_statement_reuses_a_generic_plan_that_reads_the_covering_index(
    runtime: Runtime,
    client: httpx.AsyncClient,
    tenant: str,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    conv = await new_conversation(client, tenant)
    await store_batch(client, tenant, conv, TEXTS)
    await many_small_tenants(runtime, database_url, 300)
    now = datetime.now(UTC)
    whole = SearchQuery(
        tenant_id=tenant, query="garden", mode=SearchMode.vector, top_k=5, reference_time=now
    )
    queries = {
        "conversation": SearchQuery(
            tenant_id=tenant,
            query="garden",
            mode=SearchMode.vector,
            top_k=5,
            conversation_id=uuid.UUID(conv),
            reference_time=now,
        ),
        "tenant": whole,
        "role and time": SearchQuery(
            tenant_id=tenant,
            query="boat",
            mode=SearchMode.vector,
            top_k=5,
            role=Role.user,
            created_after=now - timedelta(hours=1),
            reference_time=now,
        ),
    }
    for name, query in queries.items():
        assert store_search.generic_plan_applies(query, "exact"), name
        vector = runtime.search.embedder.embed_query(query.query)
        async with runtime.db.tenant(tenant) as conn:
            await conn.execute("deallocate all")  # psycopg forgets its prepared ones too
            found = []
            for _ in range(8):  # psycopg prepares a statement on its 6th execution
                hits = await run_planned(conn, runtime, query, plan="exact", vector=vector)
                found.append(_ranking(hits))
            prepared = await prepared_generic(conn, "with candidates as")
            # the generic plan, under the settings the search set in this transaction
            nodes = await plan_nodes(conn, prepared[0]["statement"]) if prepared else []
        # the plan made per search, as before: the same hits, order and scores
        with monkeypatch.context() as patch:
            patch.setattr(store_search, "generic_plan_applies", lambda *a, **k: False)
            async with runtime.db.tenant(tenant) as conn:
                custom = await run_planned(conn, runtime, query, plan="exact", vector=vector)
        assert len(found[0]) == 5 and all(f == found[0] for f in found), name
        assert found[0] == _ranking(custom), name
        assert len(prepared) == 1 and prepared[0]["custom_plans"] == 0, (name, prepared)
        # the whole plan listed on failure
        listed = ", ".join(nodes)
        assert "Index Only Scan message_vectors_scope" in nodes, (name, listed)
        assert "Index Scan messages_pkey" in nodes, (name, listed)
        assert not any(
            n.startswith(("Seq Scan", "Bitmap", "Hash", "Merge")) or "messages_tenant" in n
            for n in nodes
        ), (name, listed)


def test_the_narrow_table_is_searched_with_the_querys_halfvec_bound_as_one() -> None:
    query = SearchQuery(tenant_id="t", query="q", mode=SearchMode.vector)
    text = store_search.statement(query, "exact", 384, narrow=True).as_string(None)
    assert "%(qh)s::halfvec(384)" in text
    # the full-precision vector is used to re-rank, never cast per row to a halfvec
    assert "%(qv)s::vector::halfvec" not in text
