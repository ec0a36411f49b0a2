"""A search reads each hit's conversation (for its external id) as one index entry,
whatever the statistics say of the tenant. With a tenant grown since the conversations
table was last analysed (the statistics knowing one other tenant), the lookup by id under
row-level security took the tenant's index and filtered it by id: every conversation of
the tenant, for every hit (on the 1M database: 10 hits x 4,999 rows, the statement 12.7
ms against 6.5 with migration 0018's index). Planner-level: EXPLAIN ANALYZE of the
statement the service runs, on a database of its own (its statistics are the test's
premise), no timing."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import numpy as np
import psycopg
import pytest
from pgvector.psycopg import register_vector_async
from psycopg import sql
from psycopg.conninfo import make_conninfo
from psycopg.rows import dict_row

from bench.explain import _ExplainingConn
from memory_mesh.config import Settings
from memory_mesh.domain.models import SearchMode, SearchQuery
from memory_mesh.domain.ranking import RankingWeights
from memory_mesh.store import search as store_search
from memory_mesh.store.database import APP_ROLE
from memory_mesh.store.migrations import migrate
from tests.integration.test_page_plans import _nodes

MODEL = "lookup-test-model"
GROWN = 3000  # the searched tenant's conversations, made after the last ANALYZE


def _unit_vectors(count: int, seed: int) -> list[np.ndarray]:
    rows = np.random.default_rng(seed).normal(size=(count, 384)).astype(np.float32)
    return list(rows / np.linalg.norm(rows, axis=1, keepdims=True))


@asynccontextmanager
async def _database(database_url: str) -> AsyncIterator[str]:
    """A database of its own, migrated; dropped on exit."""
    name = f"mm_lookup_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(database_url, autocommit=True) as admin:
        admin.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
    url = make_conninfo(database_url, dbname=name)
    try:
        migrate(url, dimensions=384)
        yield url
    finally:
        with psycopg.connect(database_url, autocommit=True) as admin:
            admin.execute(sql.SQL("drop database {} with (force)").format(sql.Identifier(name)))


def _grown_tenant(url: str) -> None:
    """Tenant ``big`` alone when the conversations table is analysed; then tenant
    ``grown`` gets ``GROWN`` conversations and 30 embedded messages in one of them."""
    with psycopg.connect(url, autocommit=True) as conn:
        for tenant in ("big", "grown"):
            conn.execute("insert into tenants (id, name) values (%s, %s)", [tenant, tenant])
        conn.execute(
            "insert into conversations (id, tenant_id, title)"
            " select gen_random_uuid(), 'big', 'b' from generate_series(1, 2000)"
        )
        conn.execute("analyze conversations")
        conn.execute(
            "insert into conversations (id, tenant_id, title)"
            " select gen_random_uuid(), 'grown', 'g' from generate_series(1, %s)",
            [GROWN],
        )
        row = conn.execute("select id from conversations where tenant_id = 'grown' limit 1")
        conversation = row.fetchone()[0]  # type: ignore[index]
        with conn.cursor() as cur:
            cur.executemany(
                "insert into messages (id, tenant_id, conversation_id, role, content,"
                " importance, embedding, embedding_provider, embedding_model,"
                " embedding_dimensions, embedding_status, embedded_at)"
                " values (gen_random_uuid(), 'grown', %s, 'user', %s, 0.5, %s::vector,"
                " 'local', %s, 384, 'ready', now())",
                [
                    (conversation, f"note {i}", str(v.tolist()), MODEL)
                    for i, v in enumerate(_unit_vectors(30, seed=1))
                ],
            )


async def _search_plan(url: str, mode: SearchMode) -> dict[str, Any]:
    """The plan of the service's exact search statement for tenant ``grown``, run as
    the application role under its row-level security."""
    query = SearchQuery(tenant_id="grown", query="note", mode=mode, top_k=10)
    settings = Settings(environment="test")  # the shipped search settings
    conn = await psycopg.AsyncConnection.connect(url, row_factory=dict_row)
    try:
        await register_vector_async(conn)
        await conn.execute(f"set role {APP_ROLE}")
        async with conn.transaction():
            await conn.execute("select set_config('memory_mesh.tenant_id', 'grown', true)")
            explaining = _ExplainingConn(conn)
            await store_search.run_search(
                explaining,  # type: ignore[arg-type]
                query=query,
                query_vector=_unit_vectors(1, seed=2)[0],
                model=MODEL,
                weights=RankingWeights(),
                config=store_search.SearchPlanConfig(
                    dimensions=384,
                    exact_max_rows=settings.search_exact_max_rows,
                    ef_search=settings.search_hnsw_ef_search,
                    candidate_multiplier=settings.search_candidate_multiplier,
                ),
                plan="exact",
            )
    finally:
        await conn.close()
    assert explaining.plan is not None
    plan: dict[str, Any] = explaining.plan["Plan"]
    return plan


@pytest.mark.parametrize("mode", [SearchMode.vector, SearchMode.hybrid])
async def test_each_hit_reads_one_entry_of_conversations_for_a_tenant_grown_since_analyze(
    mode: SearchMode, database_url: str
) -> None:
    async with _database(database_url) as url:
        _grown_tenant(url)
        plan = await _search_plan(url, mode)
    scans = [
        n
        for n in _nodes(plan)
        if "Scan" in n["Node Type"]
        and (
            n.get("Relation Name") == "conversations"
            or str(n.get("Index Name", "")).startswith("conversations_")
        )
    ]
    described = ", ".join(
        f"{n['Node Type']} {n.get('Index Name')} rows={n['Actual Rows']}"
        f" removed={n.get('Rows Removed by Filter', 0)} loops={n['Actual Loops']}"
        for n in scans
    )
    assert scans, described  # the hits' external ids are read from conversations
    for n in scans:
        read = (n["Actual Rows"] + n.get("Rows Removed by Filter", 0)) * n["Actual Loops"]
        assert read <= n["Actual Loops"], described  # one row a hit, at most
