"""The exact statement of a scope read from ``message_vectors`` (a scope within the exact
limit, any mode) is planned once per connection: psycopg prepares it and PostgreSQL
reuses its generic plan, so a search does not pay for planning. Its settings pin that
plan's shape whatever the planner guesses of the scope (here: hundreds of two-row tenants,
which make any tenant look tiny): the scope read from its covering B-trees, each
candidate read back by primary key. And it ranks as the plan made per search did.
Planner-level: the plans are read from PostgreSQL, no timing."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import psycopg
import pytest

from memory_mesh.domain.models import Role, SearchMode, SearchQuery
from memory_mesh.runtime import Runtime
from memory_mesh.store import search as store_search
from tests.conftest import new_conversation
from tests.integration.batch import store_batch
from tests.integration.search_support import (
    index_conditions,
    many_small_tenants,
    plan_nodes,
    prepared_generic,
    run_planned,
)

TEXTS = [f"note {i}: the {w} came up on day {i}" for i in range(12) for w in ("garden", "boat")]


def _ranking(hits: list[store_search.SearchHit]) -> list[tuple[str, float, float | None]]:
    return [(str(h.message.id), h.scores.score, h.scores.similarity) for h in hits]


def _same(
    a: list[tuple[str, float, float | None]], b: list[tuple[str, float, float | None]]
) -> bool:
    """The same hits in the same order, with the same scores (BM25's sums may add up in
    another order under another plan: equal to ~1e-15)."""
    return [h[0] for h in a] == [h[0] for h in b] and all(
        x[1] == pytest.approx(y[1], rel=1e-9) and x[2] == y[2] for x, y in zip(a, b, strict=True)
    )


# what a mode's generic plan must read: the vector candidates from the covering B-tree,
# the hits' rows by primary key
READS = {
    SearchMode.vector: ["Index Only Scan message_vectors_scope", "Index Scan messages_pkey"],
    SearchMode.hybrid: ["Index Only Scan message_vectors_scope", "Index Scan messages_pkey"],
    SearchMode.keyword: ["Index Scan messages_pkey"],
}
# hybrid and keyword modes read the keyword terms from the postings (every scope but one
# filtered by metadata, which is not narrow): a range of their (tenant, word,
# conversation) B-tree per word
POSTINGS_READS = ("Index Scan message_terms_pkey", "Index Only Scan message_terms_pkey")


# how each mode's statement opens (the generic one of hybrid and keyword modes reads the
# query's keywords first)
OPENING = {
    SearchMode.vector: "with candidates as",
    SearchMode.hybrid: "with query_terms as",
    SearchMode.keyword: "with query_terms as",
}


def _forbidden(node: str) -> bool:
    """A node that reads a whole table, or a join that can feed on such a read."""
    return node.startswith(("Seq Scan", "Bitmap", "Hash Join", "Merge Join")) or node == "Hash"


@pytest.mark.parametrize("mode", list(READS), ids=lambda mode: mode.value)
async def test_the_narrow_exact_statement_reuses_a_generic_plan_that_reads_the_scope_indexes(
    mode: SearchMode,
    runtime: Runtime,
    client: httpx.AsyncClient,
    tenant: str,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    conv = await new_conversation(client, tenant)
    await store_batch(client, tenant, conv, TEXTS)
    external_id = f"ext-{conv[:8]}"
    with psycopg.connect(database_url, autocommit=True) as admin:
        admin.execute(
            "update conversations set external_id = %s where id = %s", [external_id, conv]
        )
    await many_small_tenants(runtime, database_url, 300)
    now = datetime.now(UTC)
    whole = SearchQuery(tenant_id=tenant, query="garden", mode=mode, top_k=5, reference_time=now)
    queries = {
        "conversation": SearchQuery(
            tenant_id=tenant,
            query="garden",
            mode=mode,
            top_k=5,
            conversation_id=uuid.UUID(conv),
            reference_time=now,
        ),
        "tenant": whole,
        "role and time": SearchQuery(
            tenant_id=tenant,
            query="boat",
            mode=mode,
            top_k=5,
            role=Role.user,
            created_after=now - timedelta(hours=1),
            reference_time=now,
        ),
    }
    postings = mode is not SearchMode.vector
    assert all(store_search.postings_apply(q) for q in queries.values())
    for name, query in queries.items():
        assert store_search.generic_plan_applies(query, "exact"), name
        vector = runtime.search.embedder.embed_query(query.query)
        async with runtime.db.tenant(tenant) as conn:
            await conn.execute("deallocate all")  # psycopg forgets its prepared ones too
            found = []
            for _ in range(8):  # psycopg prepares a statement on its 6th execution
                hits = await run_planned(conn, runtime, query, plan="exact", vector=vector)
                found.append(_ranking(hits))
            prepared = await prepared_generic(conn, OPENING[mode])
            # the generic plan, under the settings the search set in this transaction
            nodes = await plan_nodes(conn, prepared[0]["statement"]) if prepared else []
            postings_ranges = (
                await index_conditions(conn, prepared[0]["statement"], "message_terms_pkey")
                if prepared
                else []
            )
        # the plan made per search, as before: the same hits, order and scores
        with monkeypatch.context() as patch:
            patch.setattr(store_search, "generic_plan_applies", lambda *a, **k: False)
            async with runtime.db.tenant(tenant) as conn:
                custom = await run_planned(conn, runtime, query, plan="exact", vector=vector)
        assert len(found[0]) == 5 and all(_same(f, found[0]) for f in found), name
        assert _same(found[0], _ranking(custom)), name
        assert len(prepared) == 1 and prepared[0]["custom_plans"] == 0, (name, prepared)
        # the whole plan listed on failure
        listed = ", ".join(nodes)
        for read in READS[mode]:
            assert read in nodes, (name, read, listed)
        if postings:
            assert any(read in nodes for read in POSTINGS_READS), (name, listed)
        assert not any(_forbidden(n) for n in nodes), (name, listed)
        # a conversation's search never reads its tenant's rows, nor its tenant's
        # postings: the conversation is in their key (migration 0020)
        if query.conversation_id is not None:
            assert not any("messages_tenant" in n for n in nodes), (name, listed)
            for condition in postings_ranges:
                assert "conversation_id" in condition, (name, postings_ranges)
        if postings:
            assert postings_ranges and all("lexeme" in c for c in postings_ranges), name


def test_the_narrow_table_is_searched_with_the_querys_halfvec_bound_as_one() -> None:
    query = SearchQuery(tenant_id="t", query="q", mode=SearchMode.vector)
    text = store_search.statement(query, "exact", 384, narrow=True).as_string(None)
    assert "%(qh)s::halfvec(384)" in text
    # the full-precision vector is used to re-rank, never cast per row to a halfvec
    assert "%(qv)s::vector::halfvec" not in text


def test_a_generic_statement_computes_the_querys_keywords_once() -> None:
    query = SearchQuery(tenant_id="t", query="q", mode=SearchMode.hybrid)
    custom = store_search.statement(query, "exact", 384).as_string(None)
    generic = store_search.statement(query, "exact", 384, generic=True).as_string(None)
    assert not custom.startswith("with query_terms")  # folded to constants once planned
    assert generic.count("to_tsvector('english'") == 1
    assert generic.startswith("with query_terms as materialized")


def test_a_narrow_scopes_keyword_terms_read_from_its_rows_are_planned_per_search() -> None:
    """The service reads a narrow scope's keyword terms from its postings; a caller that
    forces its rows (to compare) gets a plan made per search, whose shape no test pins."""
    for mode in (SearchMode.hybrid, SearchMode.keyword):
        query = SearchQuery(tenant_id="t", query="q", mode=mode)
        assert store_search.generic_plan_applies(query, "exact")
        assert not store_search.generic_plan_applies(query, "exact", postings=False)
    vector = SearchQuery(tenant_id="t", query="q", mode=SearchMode.vector)
    assert store_search.generic_plan_applies(vector, "exact", postings=False)  # no keywords


# every cost of a parallel plan made nil, in the test's transaction: the planner then
# prefers one wherever it may start workers
_PARALLEL_FREE = (
    "select set_config('parallel_setup_cost', '0', true),"
    " set_config('parallel_tuple_cost', '0', true),"
    " set_config('min_parallel_index_scan_size', '0', true),"
    " set_config('min_parallel_table_scan_size', '0', true)"
)


@contextmanager
def _one_large_tenant(database_url: str, rows: int, model: str) -> Iterator[None]:
    """A tenant of ``rows`` embedded messages (random vectors: far from any question, and
    no crowd of duplicates in the HNSW graph), and the planner told the tables hold two
    tenants (``n_distinct``): a deployment with one large tenant among a few, whose guess
    for a tenant (a generic plan's) is half the table. All undone on exit, for the plan
    tests that want every tenant to look small."""
    large = f"large-{uuid.uuid4().hex[:10]}"
    tables = ("messages", "message_vectors")
    with psycopg.connect(database_url, autocommit=True) as admin:
        admin.execute("insert into tenants (id, name) values (%s, %s)", [large, large])
        conv = uuid.uuid4()
        admin.execute(
            "insert into conversations (id, tenant_id, title) values (%s, %s, 'large')",
            [conv, large],
        )
        admin.execute(
            "insert into messages (id, tenant_id, conversation_id, role, content, importance,"
            " embedding, embedding_provider, embedding_model, embedding_dimensions,"
            " embedding_status, embedded_at)"
            " select gen_random_uuid(), %s, %s, 'user', 'filler ' || g, 0.5, v.embedding,"
            " 'local', %s, 384, 'ready', now()"
            " from generate_series(1, %s) g, lateral ("
            "   select array_agg(random() - 0.5)::vector(384) as embedding"
            "   from generate_series(1, 384) where g > 0) v",  # g: a vector per row
            [large, conv, model, rows],
        )
        for table in tables:
            admin.execute(f"alter table {table} alter column tenant_id set (n_distinct = 2)")
            admin.execute(f"analyze {table}")
    try:
        yield
    finally:
        with psycopg.connect(database_url, autocommit=True) as admin:
            admin.execute("delete from messages where tenant_id = %s", [large])
            admin.execute("delete from conversations where tenant_id = %s", [large])
            for table in tables:
                admin.execute(f"alter table {table} alter column tenant_id reset (n_distinct)")
                admin.execute(f"vacuum analyze {table}")


# the modes whose generic plan went parallel without the setting, given the planner's
# guess below (keyword mode reads the postings, not the covering B-tree, and did not
# here; its statement is prepared under the same settings)
@pytest.mark.parametrize("mode", [SearchMode.vector, SearchMode.hybrid])
async def test_the_narrow_exact_generic_plan_starts_no_parallel_workers(
    mode: SearchMode, runtime: Runtime, client: httpx.AsyncClient, tenant: str, database_url: str
) -> None:
    """A generic plan guesses a tenant's rows as the table's share of a tenant: with one
    large tenant among a few, half the table. The plan then scanned a 1,000-row tenant with two
    parallel workers, whose start took 7 of its 9 ms (bench/results/scale_http_generic.md); a
    scope within the exact limit never needs them."""
    conv = await new_conversation(client, tenant)
    await store_batch(client, tenant, conv, TEXTS)
    query = SearchQuery(tenant_id=tenant, query="garden", mode=mode, top_k=5)
    assert store_search.generic_plan_applies(query, "exact")
    vector = runtime.search.embedder.embed_query(query.query)
    with _one_large_tenant(database_url, 2000, runtime.search.embedder.info.model):
        nodes, premise, hits, prepared, jit = await _generic_plans(runtime, query, vector)
    assert len(hits) == 5 and len(prepared) == 1, prepared
    assert not any(n.startswith("Gather") for n in nodes), ", ".join(nodes)
    assert any(n.startswith("Gather") for n in premise), ", ".join(premise)
    # nor compiled by LLVM, where the server can (this one cannot: pg_jit_available() is
    # false): on the 1M table the guess made the plan's cost 255,609, past jit_above_cost
    assert jit == "off"


async def _generic_plans(
    runtime: Runtime, query: SearchQuery, vector: Any
) -> tuple[list[str], list[str], list[store_search.SearchHit], list[dict[str, Any]], str]:
    """The search's generic plan, under its settings and under the same with parallel
    workers allowed (parallel plans made free); its hits; the statement prepared; the
    transaction's JIT setting."""
    async with runtime.db.tenant(query.tenant_id) as conn:
        await conn.execute(_PARALLEL_FREE)
        # by name: a text evicted from psycopg's cache and prepared again has two rows
        before = {p["name"]: p["generic_plans"] for p in await prepared_generic(conn, "")}
        for _ in range(8):  # psycopg prepares a statement on its 6th execution
            hits = await run_planned(conn, runtime, query, plan="exact", vector=vector)
        # the statement this search prepared (or found prepared) and ran generically
        prepared = [
            p
            for p in await prepared_generic(conn, OPENING[query.mode])
            if p["generic_plans"] > before.get(p["name"], 0)
        ]
        nodes = await plan_nodes(conn, prepared[0]["statement"]) if prepared else []
        cur = await conn.execute("select current_setting('jit') as jit")
        jit = str((await cur.fetchone() or {}).get("jit"))
        # and without the search's own setting, the same costs give a parallel plan (the
        # test's premise)
        await conn.execute("select set_config('max_parallel_workers_per_gather', '2', true)")
        premise = await plan_nodes(conn, prepared[0]["statement"]) if prepared else []
    return nodes, premise, hits, prepared, jit
