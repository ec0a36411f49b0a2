"""Migrations 0013 and 0014 on the real database: a large scope's keyword matches are found by
``memory_mesh_keyword_matches`` through the GIN indexes, which row-level security keeps
from a plain query (``@@`` is not leakproof). Its matches are the plain query's under
every filter, within the transaction's tenant only; the service counts a large scope's
BM25 statistics once a while instead of every search."""

from __future__ import annotations

import itertools
import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import psycopg
import pytest

from memory_mesh.domain.models import Role, SearchMode, SearchQuery
from memory_mesh.runtime import Runtime
from memory_mesh.store import search as store_search
from tests.conftest import make_tenant, new_conversation
from tests.integration import seed
from tests.integration.batch import store_batch
from tests.integration.search_support import run_planned, service_with_exact_limit

WORDS = ["garden", "tomatoes", "roses", "bakery", "sourdough", "fence", "lisbon", "trams"]
NOW = datetime.now(UTC)


async def _corpus(runtime: Runtime, client: httpx.AsyncClient, tenant: str) -> str:
    """Messages that differ in every filtered column, some matching by their context (the
    previous message, stored through the API) only; the id of the conversation they fill."""
    conv = await new_conversation(client, tenant)
    other = await new_conversation(client, tenant)
    await store_batch(
        client, tenant, conv, ["We planted tomatoes by the fence.", "Yes, they grew well."]
    )
    rows = []
    for i, (a, b) in enumerate(itertools.combinations(WORDS, 2)):
        rows.append(
            seed.Row(
                conv if i % 3 else other,
                NOW - timedelta(days=i),
                role="user" if i % 2 else "assistant",
                content=f"the {a} and the {b}, note {i}",
                metadata={"topic": "home"} if i % 4 == 0 else {},
                archived=i % 5 == 0,
            )
        )
    await seed.insert(runtime, tenant, rows)
    return conv


def _variants(tenant: str, conv: str) -> list[SearchQuery]:
    base = SearchQuery(tenant_id=tenant, query="garden tomatoes fence", top_k=50)
    return [
        base,
        replace(base, conversation_id=uuid.UUID(conv)),
        replace(base, role=Role.user),
        replace(base, created_after=NOW - timedelta(days=10)),
        replace(base, created_before=NOW - timedelta(days=5)),
        replace(base, metadata={"topic": "home"}),
        replace(base, include_archived=True),
        replace(
            base,
            conversation_id=uuid.UUID(conv),
            role=Role.assistant,
            created_after=NOW - timedelta(days=30),
            include_archived=True,
        ),
    ]


@pytest.mark.parametrize("mode", [SearchMode.keyword, SearchMode.hybrid])
async def test_the_indexed_matches_rank_exactly_as_the_scope_read_whole(
    runtime: Runtime, client: httpx.AsyncClient, tenant: str, mode: SearchMode
) -> None:
    conv = await _corpus(runtime, client, tenant)
    await runtime.pipeline.embed_due()
    for query in _variants(tenant, conv):
        query = replace(query, mode=mode)
        async with runtime.db.tenant(tenant) as conn:
            read = await run_planned(conn, runtime, query, plan="exact", indexed_keywords=False)
            stats = await store_search.scope_statistics(
                conn, query, runtime.search.weights.context_weight
            )
            # the large scope's paths: the function's matches (statistics counted, or
            # given), and the postings of migration 0015 (none under a metadata filter)
            large = [
                await run_planned(
                    conn, runtime, query, plan="exact", indexed_keywords=True, postings=False
                ),
                await run_planned(
                    conn, runtime, query, plan="exact", indexed_keywords=True,
                    postings=False, scope_stats=stats,
                ),
            ]  # fmt: skip
            if not query.metadata:
                for given in (None, stats):
                    large.append(
                        await run_planned(
                            conn, runtime, query, plan="exact", indexed_keywords=True,
                            postings=True, scope_stats=given,
                        )
                    )  # fmt: skip
                # a small scope's postings (its statistics counted by the statement)
                large.append(
                    await run_planned(
                        conn, runtime, query, plan="exact", indexed_keywords=False,
                        postings=True,
                    )
                )  # fmt: skip
        assert any(h.scores.keyword for h in read), query  # every variant matches some
        expected = [(h.message.id, h.scores.keyword, h.scores.score) for h in read]
        for hits in large:
            got = [(h.message.id, h.scores.keyword, h.scores.score) for h in hits]
            assert [g[0] for g in got] == [e[0] for e in expected], query
            for (_, keyword, score), (_, want_keyword, want_score) in zip(
                got, expected, strict=True
            ):
                assert keyword == pytest.approx(want_keyword, abs=1e-9)
                assert score == pytest.approx(want_score, abs=1e-9)


async def _matches(conn: Any, terms: str) -> set[str]:
    cur = await conn.execute(
        "select id from memory_mesh_keyword_matches(to_tsquery('english', %s),"
        " null, null, null, null, null, true)",
        [terms],
    )
    return {str(r["id"]) for r in await cur.fetchall()}


async def test_the_function_finds_the_transactions_tenants_matches_only(
    runtime: Runtime, tenant: str, database_url: str
) -> None:
    other, _ = await make_tenant(runtime)
    mine = await seed.insert(
        runtime, tenant, [seed.Row(await seed.conversation(runtime, tenant), NOW, content="zebra")]
    )
    theirs = await seed.insert(
        runtime, other, [seed.Row(await seed.conversation(runtime, other), NOW, content="zebra")]
    )
    async with runtime.db.tenant(tenant) as conn:
        assert await _matches(conn, "zebra") == set(mine)
    async with runtime.db.tenant(other) as conn:
        assert await _matches(conn, "zebra") == set(theirs)
    # a transaction naming no tenant (the policies' setting unset) finds nothing
    with psycopg.connect(database_url, autocommit=True) as admin:
        admin.execute("set role memory_mesh_app")
        found = admin.execute(
            "select count(*) from memory_mesh_keyword_matches(to_tsquery('english', 'zebra'),"
            " null, null, null, null, null, true)"
        ).fetchone()
    assert found == (0,)


def _lookup(
    admin: psycopg.Connection[Any], tenant: str, *, indexed: bool, owner_in: str
) -> tuple[set[str], int]:
    """(the ids found, the GIN indexes' scans) of one keyword lookup as memory_mesh_app in
    ``tenant``'s transaction (sequential scans off: the test's table is small enough to
    read whole), by the function owned by a plain role member of ``owner_in`` (the
    cloud's migrating user is a member of both roles), or by a plain query."""
    admin.execute("begin")
    try:
        owner = f"mm_owner_{uuid.uuid4().hex[:8]}"
        admin.execute(f"create role {owner}")
        admin.execute(f"grant {owner_in} to {owner}")
        admin.execute(
            "alter function memory_mesh_keyword_matches(tsquery, uuid, text, timestamptz,"
            f" timestamptz, jsonb, boolean) owner to {owner}"
        )
        admin.execute("set local role memory_mesh_app")
        admin.execute("select set_config('memory_mesh.tenant_id', %s, true)", [tenant])
        admin.execute("set local enable_seqscan = off")
        terms = "to_tsquery('english', 'zebra')"
        # the backend's counts not yet reported (they accumulate across transactions until
        # reported): the difference across the lookup is its own
        scans = (
            "select pg_stat_get_xact_numscans('messages_content_tsv'::regclass)"
            " + pg_stat_get_xact_numscans('messages_context_tsv'::regclass)"
        )
        before = admin.execute(scans).fetchone()
        if indexed:
            found = admin.execute(
                f"select id from memory_mesh_keyword_matches({terms},"
                " null, null, null, null, null, false)"
            ).fetchall()
        else:
            found = admin.execute(
                f"select id from messages where content_tsv @@ {terms} or context_tsv @@ {terms}"
            ).fetchall()
        after = admin.execute(scans).fetchone()
        assert before is not None and after is not None
        return {str(r[0]) for r in found}, int(after[0]) - int(before[0])
    finally:
        admin.execute("rollback")  # the role and the ownership gone with it


async def test_only_the_function_reaches_the_gin_indexes_under_row_level_security(
    runtime: Runtime, tenant: str, database_url: str
) -> None:
    # a rare word among a tenant's many rows (and another tenant's): the GIN index is the
    # better plan
    conv = await seed.conversation(runtime, tenant)
    rows = [seed.Row(conv, NOW, content=f"hello {i}") for i in range(2000)]
    mine = await seed.insert(runtime, tenant, [*rows, seed.Row(conv, NOW, content="zebra")])
    other, _ = await make_tenant(runtime)
    theirs = seed.Row(await seed.conversation(runtime, other), NOW, content="zebra")
    await seed.insert(runtime, other, [theirs])
    zebra = {mine[-1]}
    with psycopg.connect(database_url, autocommit=True) as admin:
        admin.execute("analyze messages")
        both = "memory_mesh_app, memory_mesh_system"
        found, scans = _lookup(admin, tenant, indexed=True, owner_in=both)
        assert (found, scans >= 1) == (zebra, True)
        # a plain query under the policies: the same row, never through the GIN indexes
        assert _lookup(admin, tenant, indexed=False, owner_in=both) == (zebra, 0)
        # owned by a role under the tenant policy only: still this tenant's row alone,
        # found without the indexes
        assert _lookup(admin, tenant, indexed=True, owner_in="memory_mesh_app") == (zebra, 0)


def _table_reads(admin: psycopg.Connection[Any], tenant: str, word: str, reset: bool) -> int:
    """Sequential scans of ``messages`` in one function lookup of ``word`` as
    memory_mesh_app in ``tenant``'s transaction (rolled back), costed so that reading the
    table whole looks far cheaper than any index (random pages at 1,000 times a
    sequential one); ``reset``: the function's setting of migration 0014 cleared first."""
    admin.execute("begin")
    try:
        if reset:
            admin.execute(
                "alter function memory_mesh_keyword_matches(tsquery, uuid, text, timestamptz,"
                " timestamptz, jsonb, boolean) reset enable_seqscan"
            )
        admin.execute("set local role memory_mesh_app")
        admin.execute("select set_config('memory_mesh.tenant_id', %s, true)", [tenant])
        admin.execute("set local random_page_cost = 1000")
        reads = "select pg_stat_get_xact_numscans('messages'::regclass)"
        before = admin.execute(reads).fetchone()
        admin.execute(
            "select count(*) from memory_mesh_keyword_matches(to_tsquery('english', %s),"
            " null, null, null, null, null, false)",
            [word],
        )
        after = admin.execute(reads).fetchone()
        assert before is not None and after is not None
        return int(after[0]) - int(before[0])
    finally:
        admin.execute("rollback")


async def test_the_function_never_reads_the_whole_table(
    runtime: Runtime, tenant: str, database_url: str
) -> None:
    # a common word: where the costs favour reading the whole table (every tenant's rows),
    # the function's setting (migration 0014) keeps it on the indexes all the same
    conv = await seed.conversation(runtime, tenant)
    await seed.insert(
        runtime, tenant, [seed.Row(conv, NOW, content=f"team {i}") for i in range(200)]
    )
    with psycopg.connect(database_url, autocommit=True) as admin:
        admin.execute("analyze messages")
        assert _table_reads(admin, tenant, "team", reset=True) >= 1  # the plan it avoids
        assert _table_reads(admin, tenant, "team", reset=False) == 0
        setting = admin.execute(
            "select proconfig from pg_proc where proname = 'memory_mesh_keyword_matches'"
        ).fetchone()
    assert setting is not None and "enable_seqscan=off" in setting[0]


async def test_a_large_scopes_statistics_are_counted_once_while_remembered(
    runtime: Runtime, client: httpx.AsyncClient, tenant: str, monkeypatch: Any
) -> None:
    from memory_mesh.services import search as search_service

    conv = await _corpus(runtime, client, tenant)
    counted: list[SearchQuery] = []
    real = search_service.store.scope_statistics

    async def counting(conn: Any, query: SearchQuery, weight: float) -> Any:
        counted.append(query)
        return await real(conn, query, weight)

    monkeypatch.setattr(search_service.store, "scope_statistics", counting)
    large = service_with_exact_limit(runtime, 10)
    query = SearchQuery(tenant_id=tenant, query="garden tomatoes", mode=SearchMode.keyword)
    first = await large.search(query)
    again = await large.search(query)
    assert (first.plan, again.plan) == ("hnsw", "hnsw")
    assert first.hits and [h.message.id for h in again.hits] == [h.message.id for h in first.hits]
    assert len(counted) == 1
    # another filter is another scope; vector mode and an exact scope count none here
    await large.search(replace(query, role=Role.user))
    await large.search(replace(query, mode=SearchMode.vector))
    await runtime.search.search(replace(query, conversation_id=conv))
    assert [q.role for q in counted] == [None, Role.user]
    # ranked as the statement ranks with the statistics it counts itself
    async with runtime.db.tenant(tenant) as conn:
        counting_itself = await run_planned(conn, runtime, query, plan="hnsw")
    assert [h.message.id for h in first.hits] == [h.message.id for h in counting_itself][:10]


@pytest.mark.parametrize(
    ("query", "found"),
    [
        ("the and of", False),  # stop words only: no lexeme, nothing matches
        ("Portugal & (coast | !beach) <-> 'destination':*", True),  # read as plain words
        ("portugal'); drop table messages; --", True),
        ("!!! ??? ...", False),  # no word at all
    ],
)
async def test_a_large_scope_reads_any_query_as_plain_words(
    runtime: Runtime, tenant: str, query: str, found: bool
) -> None:
    conv = await seed.conversation(runtime, tenant)
    rows = [seed.Row(conv, NOW, content=f"note {i} about the garden") for i in range(20)]
    [portugal] = await seed.insert(
        runtime, tenant, [seed.Row(conv, NOW, content="the coast of Portugal")]
    )
    await seed.insert(runtime, tenant, rows)
    large = service_with_exact_limit(runtime, 10)
    search = SearchQuery(tenant_id=tenant, query=query, mode=SearchMode.keyword)
    outcome = await large.search(search)
    assert outcome.plan == "hnsw"
    assert [str(h.message.id) for h in outcome.hits] == ([portugal] if found else [])


async def test_a_large_conversation_searched_exactly_finds_its_keywords_through_the_index(
    runtime: Runtime, tenant: str, database_url: str, monkeypatch: Any
) -> None:
    """A conversation above exact_max_rows rows is still searched exactly, up to
    sqrt(exact_max_rows x the table's rows) (its vector candidates), but its keyword
    matches come through the GIN indexes and its statistics are counted once a while,
    as any large scope's; a small scope reads its rows."""
    from memory_mesh.services import search as search_service

    large_conv = await seed.conversation(runtime, tenant)
    small_conv = await seed.conversation(runtime, tenant)
    other = await seed.conversation(runtime, tenant)
    words = ["garden tomatoes", "fence roses", "bakery bread"]
    await seed.insert(
        runtime, tenant, [seed.Row(large_conv, NOW, content=words[i % 3]) for i in range(40)]
    )
    await seed.insert(
        runtime, tenant, [seed.Row(small_conv, NOW, content=words[i % 3]) for i in range(6)]
    )
    await seed.insert(runtime, tenant, [seed.Row(other, NOW) for _ in range(130)])
    with psycopg.connect(database_url, autocommit=True) as admin:
        admin.execute("analyze messages")  # the planner's row count, which the rule reads
    sent: list[dict[str, Any]] = []
    real = search_service.store.start_search

    async def recording(conn: Any, **search: Any) -> Any:
        sent.append(search)
        return await real(conn, **search)

    monkeypatch.setattr(search_service.store, "start_search", recording)
    service = service_with_exact_limit(runtime, 10)
    for conv in (large_conv, small_conv):
        query = SearchQuery(
            tenant_id=tenant,
            query="garden",
            mode=SearchMode.keyword,
            conversation_id=uuid.UUID(conv),
            top_k=50,
        )
        outcome = await service.search(query)
        async with runtime.db.tenant(tenant) as conn:
            read = await run_planned(conn, runtime, query, plan="exact", indexed_keywords=False)
        assert outcome.plan == "exact"
        assert [h.message.id for h in outcome.hits] == [h.message.id for h in read]
        assert len(outcome.hits) == (14 if conv == large_conv else 2)
    # 40 rows > 10 and <= sqrt(10 x 176) = 41: exact, through the index, statistics given
    large, _, small, _ = sent  # the service's, each followed by the reading one's
    assert (large["indexed_keywords"], large["scope_stats"] is not None) == (True, True)
    assert (small["indexed_keywords"], small["scope_stats"]) == (False, None)


async def test_a_small_scope_reads_its_postings_unless_filtered_by_metadata(
    runtime: Runtime,
    client: httpx.AsyncClient,
    tenant: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from memory_mesh.services import search as search_service

    big = await new_conversation(client, tenant)
    small = await new_conversation(client, tenant)
    await store_batch(client, tenant, big, [f"the {w} on day {i}" for i in range(9) for w in WORDS])
    await store_batch(client, tenant, small, ["the garden gate", "a fence by the garden"])
    sent: list[bool | None] = []
    real_start = search_service.store.start_search

    async def recording(conn: Any, **search: Any) -> Any:
        sent.append(search["postings"])
        return await real_start(conn, **search)

    monkeypatch.setattr(search_service.store, "start_search", recording)
    base = SearchQuery(tenant_id=tenant, query="garden fence", mode=SearchMode.keyword)
    cases = {
        # the tenant's 74 rows: its own postings
        "the tenant": (base, True),
        # 72 of the tenant's 74 rows
        "its bulk": (replace(base, conversation_id=uuid.UUID(big)), True),
        # 2 rows of 74: its own postings, the conversation in their key (migration 0020)
        "a small conversation": (replace(base, conversation_id=uuid.UUID(small)), True),
        # a role or a time range: filtered inside the postings' range (they hold both)
        "a role": (replace(base, role=Role.user), True),
        "a time range": (replace(base, created_after=NOW - timedelta(days=1)), True),
        # metadata: a column the postings lack, so the scope's rows are read
        "metadata": (replace(base, metadata={"topic": "home"}), False),
    }
    for name, (query, postings) in cases.items():
        for search_mode in (SearchMode.keyword, SearchMode.hybrid):
            sent.clear()
            hits = (await runtime.search.search(replace(query, mode=search_mode))).hits
            assert sent == [postings], (name, search_mode)
            if name != "metadata":
                assert hits, (name, search_mode)
