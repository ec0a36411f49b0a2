"""The narrow vector table (migration 0009) on the real database and the real model: it
mirrors exactly the ready vectors of ``messages`` through every write path, the exact
search reads it (EXPLAIN) and ranks as the wide scan did, and its backfill is complete."""

from __future__ import annotations

import json
import uuid
from array import array
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import httpx
import numpy as np
import psycopg
import pytest
from fastapi import FastAPI
from psycopg import sql
from psycopg.conninfo import make_conninfo

from memory_mesh.domain.models import Role, SearchMode, SearchQuery
from memory_mesh.domain.retention import Conditions, RuleAction, RuleSpec
from memory_mesh.runtime import Runtime
from memory_mesh.services.messages import MessageInput
from memory_mesh.store import search as store_search
from memory_mesh.store.migrations import available_migrations
from tests.conftest import http_client, make_tenant, new_conversation
from tests.integration import seed
from tests.integration.batch import store_batch
from tests.integration.search_support import run_planned
from tests.integration.test_export import export, import_, populate

TEXTS = [
    "I am severely allergic to peanuts and tree nuts.",
    "The quarterly sales report is due next Friday.",
    "Our dog Biscuit loves chasing tennis balls in the park.",
    "The wifi password for the office is on the fridge.",
    "My favourite holiday destination is the coast of Portugal.",
]

# what message_vectors must hold for a tenant: its messages' ready vectors, as halfvec
_EXPECTED = """
select id, conversation_id, role, created_at, embedding_model, archived, importance,
       embedding::halfvec::text as embedding
from messages where tenant_id = %s and embedding is not null and embedding_status = 'ready'
order by id"""
_ACTUAL = """
select id, conversation_id, role, created_at, embedding_model, archived, importance,
       embedding::text as embedding
from message_vectors where tenant_id = %s order by id"""


async def mirror(runtime: Runtime, tenant: str) -> list[dict[str, Any]]:
    """The tenant's message_vectors rows, after checking they are exactly the expected."""
    async with runtime.db.system() as conn:
        expected = await (await conn.execute(_EXPECTED, [tenant])).fetchall()
        actual = await (await conn.execute(_ACTUAL, [tenant])).fetchall()
    assert actual == expected
    return actual


async def test_a_stored_message_gets_its_vector_and_an_edit_replaces_it(
    client: httpx.AsyncClient, runtime: Runtime, tenant: str
) -> None:
    conv = await new_conversation(client, tenant)
    ids = await store_batch(client, tenant, conv, TEXTS)
    rows = await mirror(runtime, tenant)
    assert [str(r["id"]) for r in rows] == sorted(ids)
    before = {str(r["id"]): r["embedding"] for r in rows}

    edited = await client.put(
        f"/v1/messages/{ids[0]}", json={"tenant_id": tenant, "content": "we adopted a kitten"}
    )
    assert edited.status_code == 200, edited.text

    after = {str(r["id"]): r["embedding"] for r in await mirror(runtime, tenant)}
    assert after[ids[0]] != before[ids[0]]
    assert {k: v for k, v in after.items() if k != ids[0]} == {
        k: v for k, v in before.items() if k != ids[0]
    }
    # a new importance alone reaches the narrow table too (the exact plan ranks by it)
    weighed = await client.put(
        f"/v1/messages/{ids[1]}", json={"tenant_id": tenant, "importance": 0.97}
    )
    assert weighed.status_code == 200, weighed.text
    rows = {str(r["id"]): r for r in await mirror(runtime, tenant)}
    assert rows[ids[1]]["importance"] == pytest.approx(0.97)
    assert rows[ids[1]]["embedding"] == after[ids[1]]


async def test_a_message_waiting_for_its_vector_has_none_and_gets_it_when_embedded(
    runtime: Runtime, tenant: str
) -> None:
    conv = await seed.conversation(runtime, tenant)
    [pending] = await seed.insert(
        runtime, tenant, [seed.Row(conv, datetime.now(UTC), embedding_status="pending")]
    )
    assert await mirror(runtime, tenant) == []

    async with runtime.db.system() as conn:  # due now: the worker's next poll takes it
        await conn.execute(
            "update messages set embedding_next_attempt_at = now() where id = %s", [pending]
        )
    await runtime.pipeline.embed_due()

    assert [str(r["id"]) for r in await mirror(runtime, tenant)] == [pending]
    # queued for embedding again (a new embedding text): out of the search until redone
    await runtime.pipeline.reembed(tenant)
    assert await mirror(runtime, tenant) == []


async def test_deleting_a_message_or_a_conversation_removes_their_vectors(
    client: httpx.AsyncClient, runtime: Runtime, tenant: str
) -> None:
    kept, dropped = await new_conversation(client, tenant), await new_conversation(client, tenant)
    ids = await store_batch(client, tenant, kept, TEXTS[:3])
    await store_batch(client, tenant, dropped, TEXTS[3:])

    gone = await client.delete(f"/v1/messages/{ids[0]}", params={"tenant_id": tenant})
    assert gone.status_code in (200, 204), gone.text
    assert len(await mirror(runtime, tenant)) == 4
    gone = await client.delete(f"/v1/conversations/{dropped}", params={"tenant_id": tenant})
    assert gone.status_code in (200, 204), gone.text

    rows = await mirror(runtime, tenant)
    assert sorted(str(r["id"]) for r in rows) == sorted(ids[1:])


async def test_retention_archives_then_deletes_the_vectors_too(
    client: httpx.AsyncClient, runtime: Runtime, tenant: str
) -> None:
    conv = await new_conversation(client, tenant)
    await store_batch(client, tenant, conv, TEXTS)
    old = datetime.now(UTC) - timedelta(days=90)
    async with runtime.db.system() as conn:  # two of them old enough for the rule
        await conn.execute(
            "update messages set created_at = %s where id in (select id from messages"
            " where tenant_id = %s order by id limit 2)",
            [old, tenant],
        )
    await mirror(runtime, tenant)
    retention = runtime.retention
    await retention.create_rule(
        tenant,
        RuleSpec(name="old", action=RuleAction.archive, conditions=Conditions(older_than_days=30)),
    )
    await retention.run(tenant)
    rows = await mirror(runtime, tenant)
    assert sum(r["archived"] for r in rows) == 2

    await retention.create_rule(
        tenant,
        RuleSpec(name="purge", action=RuleAction.delete, archived_for_days=0, priority=2),
    )
    async with runtime.db.system() as conn:
        await conn.execute(
            "update messages set archived_at = archived_at - interval '1 day'"
            " where tenant_id = %s and archived",
            [tenant],
        )
    run = await retention.run(tenant)
    assert run.deleted == 2
    assert [r["archived"] for r in await mirror(runtime, tenant)] == [False] * 3


async def test_an_import_mirrors_the_imported_vectors_and_archive_flags(
    app: FastAPI, runtime: Runtime, client: httpx.AsyncClient, tenant: str
) -> None:
    await populate(client)
    original = await export(client)
    fresh, fresh_key = await make_tenant(runtime)
    async with http_client(app, fresh_key) as copy:
        report = await import_(copy, original, ids="remap")
        assert report.status_code == 200, report.text

    rows = await mirror(runtime, fresh)
    assert len(rows) == len(await mirror(runtime, tenant)) == 7
    assert sum(r["archived"] for r in rows) == 1


async def test_one_tenant_never_reads_another_tenants_vectors_and_a_deleted_tenant_leaves_none(
    client: httpx.AsyncClient, runtime: Runtime, tenant: str
) -> None:
    conv = await new_conversation(client, tenant)
    await store_batch(client, tenant, conv, TEXTS[:2])
    other, _ = await make_tenant(runtime)
    async with runtime.db.tenant(other) as conn:  # row-level security, as on messages
        cur = await conn.execute(
            "select count(*) as n from message_vectors where tenant_id = %s", [tenant]
        )
        assert (await cur.fetchone()) == {"n": 0}
        with pytest.raises(psycopg.errors.InsufficientPrivilege):  # its policy's check
            await conn.execute(
                "insert into message_vectors (id, tenant_id, conversation_id, role,"
                " created_at, embedding_model, archived, embedding) values (gen_random_uuid(),"
                " %s, gen_random_uuid(), 'user', now(), 'm', false,"
                " array_fill(0.1, array[384])::real[]::vector::halfvec)",
                [tenant],
            )
    assert len(await mirror(runtime, tenant)) == 2

    async with runtime.db.system() as conn:
        await conn.execute("delete from tenants where id = %s", [tenant])
        cur = await conn.execute(
            "select count(*) as n from message_vectors where tenant_id = %s", [tenant]
        )
        assert (await cur.fetchone()) == {"n": 0}


# --- the search ------------------------------------------------------------------

QUESTIONS = [
    "which foods could give me a reaction?",
    "when is the report due",
    "where can I find the wifi password",
    "holiday by the sea",
    "what does the dog like",
]


async def _ranked(
    runtime: Runtime, query: SearchQuery, *, narrow: bool
) -> list[tuple[str, float, float]]:
    service = runtime.search
    vector = service.embedder.embed_query(query.query)
    async with runtime.db.tenant(query.tenant_id) as conn:
        hits = await run_planned(conn, runtime, query, plan="exact", vector=vector, narrow=narrow)
    return [(str(h.message.id), h.scores.score, h.scores.relevance) for h in hits]


async def test_the_narrow_scan_ranks_exactly_as_the_scan_of_the_messages(
    client: httpx.AsyncClient, runtime: Runtime, tenant: str
) -> None:
    conv = await new_conversation(client, tenant)
    texts = [f"{t} (note {i})" for i in range(12) for t in TEXTS]  # 60 rows: > 50 candidates
    await store_batch(client, tenant, conv, texts)
    for mode in (SearchMode.vector, SearchMode.hybrid):
        for question in QUESTIONS:
            for scope in (None, uuid.UUID(conv)):
                query = SearchQuery(
                    tenant_id=tenant, query=question, mode=mode, top_k=20, conversation_id=scope
                )
                narrow = await _ranked(runtime, query, narrow=True)
                wide = await _ranked(runtime, query, narrow=False)
                assert [i for i, _, _ in narrow] == [i for i, _, _ in wide]
                assert np.allclose([s for _, s, _ in narrow], [s for _, s, _ in wide])


async def test_the_narrow_hybrid_scan_ranks_matches_still_awaiting_their_vector(
    client: httpx.AsyncClient, runtime: Runtime, tenant: str
) -> None:
    # a keyword match with no vector yet has no row in message_vectors: the narrow hybrid
    # scan must still rank it as the wide scan ranks it
    conv = await new_conversation(client, tenant)
    await store_batch(client, tenant, conv, [f"{t} (note {i})" for i in range(12) for t in TEXTS])
    service = runtime.messages
    service.inline = False  # stored, not embedded: the worker is not running here
    try:
        for i in range(30):
            await service.create(
                tenant,
                MessageInput(
                    conversation_id=uuid.UUID(conv),
                    role=Role.user,
                    content=f"the zebra in the park chased our dog's tennis balls ({i})",
                ),
            )
    finally:
        service.inline = True
    for question in ("zebra", "what does the dog like", "tennis balls in the park"):
        query = SearchQuery(
            tenant_id=tenant,
            query=question,
            mode=SearchMode.hybrid,
            top_k=20,
            conversation_id=uuid.UUID(conv),
        )
        narrow = await _ranked(runtime, query, narrow=True)
        wide = await _ranked(runtime, query, narrow=False)
        assert [i for i, _, _ in narrow] == [i for i, _, _ in wide], question
        assert np.allclose([s for _, s, _ in narrow], [s for _, s, _ in wide]), question
    zebra = SearchQuery(
        tenant_id=tenant, query="zebra", mode=SearchMode.hybrid, top_k=20, conversation_id=conv
    )
    assert len(await _ranked(runtime, zebra, narrow=True)) == 20  # the 30 awaiting ones
    await runtime.pipeline.embed_due()


class _Explaining:
    """The connection with the search statement run under EXPLAIN; the rest passes."""

    def __init__(self, conn: Any) -> None:
        self._conn = conn
        self.plan = ""

    async def execute(self, query: Any, params: Any = None) -> Any:
        text = query.as_string(self._conn) if isinstance(query, sql.Composable) else str(query)
        if not text.lstrip().startswith("with "):
            return await self._conn.execute(text, params)
        cur = await self._conn.execute("explain (format json) " + text, params)
        row = await cur.fetchone()
        self.plan = json.dumps(next(iter(row.values())))
        return _NoRows()


class _NoRows:
    async def fetchall(self) -> list[Any]:
        return []


async def _plan(runtime: Runtime, query: SearchQuery) -> str:
    """The plan PostgreSQL chooses for the service's exact search, its settings included."""
    async with runtime.db.tenant(query.tenant_id) as conn:
        explaining = _Explaining(conn)
        await run_planned(cast(Any, explaining), runtime, query, plan="exact")
    return explaining.plan


async def test_the_exact_plan_reads_the_narrow_tables_covering_index(
    client: httpx.AsyncClient, runtime: Runtime, tenant: str
) -> None:
    conv = await new_conversation(client, tenant)
    await store_batch(client, tenant, conv, TEXTS)
    scoped = SearchQuery(
        tenant_id=tenant, query="dog", mode=SearchMode.vector, conversation_id=uuid.UUID(conv)
    )
    plan = await _plan(runtime, scoped)
    assert '"Relation Name": "message_vectors"' in plan
    assert '"Index Name": "message_vectors_scope"' in plan
    # each candidate is read from messages once, for its columns and exact distance alike
    assert plan.count('"Relation Name": "messages"') == 1
    # a metadata filter is not in the narrow table: that search reads messages
    filtered = SearchQuery(
        tenant_id=tenant, query="dog", mode=SearchMode.vector, metadata={"topic": "pets"}
    )
    assert "message_vectors" not in await _plan(runtime, filtered)


# --- the migration's backfill ------------------------------------------------------


def _unit(dimensions: int, axis: int) -> str:
    return "[" + ",".join("1" if i == axis else "0" for i in range(dimensions)) + "]"


# 1,536 dimensions: a halfvec too large for a B-tree entry stays out of the covering index
@pytest.mark.parametrize("dimensions", [3, 1536])
def test_the_migration_backfills_the_ready_vectors_of_an_existing_database(
    database_url: str, dimensions: int
) -> None:
    name = f"mm_backfill_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(database_url, autocommit=True) as admin:
        admin.execute(f"create database {name}")
    url = make_conninfo(database_url, dbname=name)
    d = str(dimensions)
    try:
        with psycopg.connect(url, autocommit=True) as conn:
            for migration in available_migrations():
                if migration.version < 9:
                    conn.execute(migration.sql.replace("{dimensions}", d))
            conn.execute("insert into tenants (id, name) values ('a', 'a')")
            conv = conn.execute(
                "insert into conversations (id, tenant_id, title)"
                " values (gen_random_uuid(), 'a', 'c') returning id"
            ).fetchone()
            assert conv is not None

            def add(status: str, vector: str | None, archived: bool) -> None:
                conn.execute(
                    "insert into messages (id, tenant_id, conversation_id, role, content,"
                    " importance, embedding, embedding_model, embedding_status, archived)"
                    " values (gen_random_uuid(), 'a', %s, 'user', 'x', 0.5, %s, 'm', %s, %s)",
                    [conv[0], vector, status, archived],
                )

            add("ready", _unit(dimensions, 0), False)
            add("ready", _unit(dimensions, 1), True)
            add("pending", None, False)
            add("failed", None, False)
            [migration] = [m for m in available_migrations() if m.version == 9]
            conn.execute(migration.sql.replace("{dimensions}", d))
            add("ready", _unit(dimensions, 2), False)  # after it: the trigger and the index

            rows = conn.execute(
                "select v.archived, v.embedding = m.embedding::halfvec from message_vectors v"
                " join messages m using (id) order by v.archived"
            ).fetchall()
            assert rows == [(False, True), (False, True), (True, True)]
            [index] = conn.execute(
                "select indexdef from pg_indexes where indexname = 'message_vectors_scope'"
            ).fetchone() or [""]
            assert ("embedding)" in index) == (dimensions <= 1200)

            # migrations 0011-0012: importance copied into the narrow table and its index
            conn.execute("update messages set importance = 0.25")
            for migration in available_migrations():
                if migration.version > 9:
                    for statement in migration.statements(dimensions):
                        conn.execute(statement)
            add("ready", _unit(dimensions, 3), False)  # after them: the trigger copies it
            conn.execute(
                "update messages set importance = 0.75 where embedding = %s::vector",
                [_unit(dimensions, 1)],
            )
            importances = conn.execute(
                "select v.importance, m.importance from message_vectors v"
                " join messages m using (id) order by v.importance"
            ).fetchall()
            assert importances == [(0.25, 0.25), (0.25, 0.25), (0.5, 0.5), (0.75, 0.75)]
            indexes = conn.execute(
                "select indexname, indexdef from pg_indexes"
                " where tablename = 'message_vectors' order by indexname"
            ).fetchall()
            assert [name for name, _ in indexes] == [
                "message_vectors_pkey",
                "message_vectors_scope",
            ]
            scope = indexes[1][1]
            assert "importance" in scope
            assert ("importance, embedding)" in scope) == (dimensions <= 1200)
    finally:
        with psycopg.connect(database_url, autocommit=True) as admin:
            admin.execute(f"drop database {name} with (force)")


async def test_a_vector_search_by_another_model_finds_nothing_and_fails_on_nothing(
    client: httpx.AsyncClient, runtime: Runtime, tenant: str
) -> None:
    """The exact plan's score threshold is applied to its read-back candidates only: a
    query of another model and size (a provider switched, old vectors kept) has no
    candidate, so no stored vector is compared with it (pgvector refuses vectors of
    different sizes) and the answer is empty."""
    conv = await new_conversation(client, tenant)
    await store_batch(client, tenant, conv, TEXTS)
    other = array("f", [1.0] + [0.0] * 255)  # 256 dimensions, the stored ones have 384
    config = replace(runtime.search.plan, dimensions=256)
    for scope in (None, uuid.UUID(conv)):
        query = SearchQuery(
            tenant_id=tenant, query="dog", mode=SearchMode.vector, conversation_id=scope
        )
        async with runtime.db.tenant(tenant) as conn:
            hits = await store_search.run_search(
                conn,
                query=query,
                query_vector=other,
                model="another-model",
                weights=runtime.search.weights,
                config=config,
                plan="exact",
            )
        assert hits == []
