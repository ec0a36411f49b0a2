"""Migration 0015 on the real database: ``message_terms`` (a large scope's keyword
postings) stays in step with ``messages`` through every write the API makes (store, the
context the next message gives, edit, archive, move, delete, a conversation's delete), and
row-level security keeps each tenant's postings to itself; migrations 0019-0020 move an
existing database's postings onto the key (tenant, word, conversation, message), safely
run twice."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import psycopg
import pytest
from psycopg.conninfo import make_conninfo

from memory_mesh.runtime import Runtime
from memory_mesh.store.migrations import available_migrations
from tests.conftest import make_tenant, new_conversation
from tests.integration.batch import store_batch

# the postings each message of a tenant should have, derived from its tsvectors now
_EXPECTED = """
select t.lexeme, m.id, m.conversation_id, m.role, m.created_at, m.archived,
       cardinality(array_positions(t.weights, 'A')), cardinality(array_positions(t.weights, 'B')),
       m.content_terms, m.context_terms
from messages m, unnest(setweight(m.content_tsv, 'A') || setweight(m.context_tsv, 'B')) t
where m.tenant_id = %s
"""
_STORED = """
select lexeme, message_id, conversation_id, role, created_at, archived, tf_content,
       tf_context, content_terms, context_terms
from message_terms where tenant_id = %s
"""


def _postings(database_url: str, tenant: str) -> tuple[set[tuple[Any, ...]], set[tuple[Any, ...]]]:
    """(the postings stored, the postings the messages' words call for) of ``tenant``."""
    with psycopg.connect(database_url) as admin:
        stored = set(admin.execute(_STORED, [tenant]).fetchall())
        expected = set(admin.execute(_EXPECTED, [tenant]).fetchall())
    return stored, expected


async def test_the_postings_follow_every_write_of_the_api(
    runtime: Runtime, client: httpx.AsyncClient, tenant: str, database_url: str
) -> None:
    conv = await new_conversation(client, tenant)
    other = await new_conversation(client, tenant)
    first, second, third = await store_batch(
        client,
        tenant,
        conv,
        ["We planted tomatoes by the garden fence.", "Yes, tomatoes grew well!", "Roses too."],
    )

    async def check(step: str) -> set[tuple[Any, ...]]:
        stored, expected = _postings(database_url, tenant)
        assert stored == expected, step
        return stored

    stored = await check("stored")
    # the second message's context (the first's end) is indexed beside its content
    assert any(str(p[1]) == second and p[0] == "garden" and p[7] == 1 for p in stored)

    edit = {"tenant_id": tenant, "content": "Sourdough bread from the bakery."}
    assert (await client.put(f"/v1/messages/{second}", json=edit)).status_code == 200
    stored = await check("edited")
    assert not any(str(p[1]) == second and p[0] == "tomato" and p[6] > 0 for p in stored)

    archive = {"tenant_id": tenant, "archived": True, "role": "assistant"}
    assert (await client.put(f"/v1/messages/{third}", json=archive)).status_code == 200
    stored = await check("archived")
    assert {(p[3], p[5]) for p in stored if str(p[1]) == third} == {("assistant", True)}

    # moved to another conversation (no API for it: the table's own update)
    async with runtime.db.tenant(tenant) as conn:
        await conn.execute("update messages set conversation_id = %s where id = %s", [other, first])
    stored = await check("moved")
    assert {str(p[2]) for p in stored if str(p[1]) == first} == {other}

    deleted = await client.delete(f"/v1/messages/{first}", params={"tenant_id": tenant})
    assert deleted.status_code == 204
    stored = await check("deleted")
    assert not any(str(p[1]) == first for p in stored)

    gone = await client.delete(f"/v1/conversations/{conv}", params={"tenant_id": tenant})
    assert gone.status_code in (200, 204), gone.text
    assert await check("conversation deleted") == set()


async def test_each_tenant_reads_its_own_postings_only(
    runtime: Runtime, client: httpx.AsyncClient, tenant: str
) -> None:
    other, _ = await make_tenant(runtime)
    await store_batch(client, tenant, await new_conversation(client, tenant), ["zebra crossing"])
    async with runtime.db.tenant(tenant) as conn:
        cur = await conn.execute("select distinct tenant_id from message_terms")
        assert [r["tenant_id"] for r in await cur.fetchall()] == [tenant]
    async with runtime.db.tenant(other) as conn:
        cur = await conn.execute("select count(*) as n from message_terms where lexeme = 'zebra'")
        row = await cur.fetchone()
        assert row is not None and row["n"] == 0
    # nor write a posting of another tenant
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        async with runtime.db.tenant(other) as conn:
            await conn.execute(
                "insert into message_terms values (%s, 'x', gen_random_uuid(),"
                " gen_random_uuid(), 'user', now(), false, 1, 0, 1, 0)",
                [tenant],
            )


def _apply(conn: psycopg.Connection[Any], versions: range) -> None:
    for migration in available_migrations():
        if migration.version in versions:
            for statement in migration.statements(3):
                conn.execute(statement)


def test_an_existing_databases_postings_move_onto_the_conversation_key(
    database_url: str,
) -> None:
    name = f"mm_terms_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(database_url, autocommit=True) as admin:
        admin.execute(f"create database {name}")
    url = make_conninfo(database_url, dbname=name)
    try:
        with psycopg.connect(url, autocommit=True) as conn:
            _apply(conn, range(1, 19))
            conn.execute("insert into tenants (id, name) values ('a', 'a')")
            convs = [
                row[0]
                for row in conn.execute(
                    "insert into conversations (id, tenant_id, title) select"
                    " gen_random_uuid(), 'a', 'c' from generate_series(1, 3) returning id"
                ).fetchall()
            ]
            conn.execute(
                "insert into messages (id, tenant_id, conversation_id, role, content, importance)"
                " select gen_random_uuid(), 'a', (%s::uuid[])[1 + i %% 3], 'user',"
                " 'the garden fence and the boat ' || i, 0.5 from generate_series(1, 30) i",
                [convs],
            )
            _apply(conn, range(19, 21))
            _apply(conn, range(20, 21))  # again, as after a failure half-way: a no-op

            [key] = conn.execute(
                "select pg_get_indexdef(conindid) from pg_constraint"
                " where conname = 'message_terms_pkey'"
            ).fetchone() or [""]
            assert "(tenant_id, lexeme, conversation_id, message_id)" in key
            indexes = conn.execute(
                "select indexname from pg_indexes where tablename = 'message_terms'"
            ).fetchall()
            assert indexes == [("message_terms_pkey",)]

            def in_step(step: str) -> None:
                stored = set(conn.execute(_STORED, ["a"]).fetchall())
                assert stored == set(conn.execute(_EXPECTED, ["a"]).fetchall()), step
                assert stored, step

            in_step("migrated")
            moved = conn.execute(
                "update messages set conversation_id = %s where conversation_id = %s returning id",
                [convs[0], convs[1]],
            ).fetchall()
            assert len(moved) == 10
            in_step("moved")
            conn.execute("update messages set content = 'a sailing boat' where content like '%%1'")
            in_step("edited")
            conn.execute("delete from messages where conversation_id = %s", [convs[2]])
            in_step("deleted")
    finally:
        with psycopg.connect(database_url, autocommit=True) as admin:
            admin.execute(f"drop database {name} with (force)")
