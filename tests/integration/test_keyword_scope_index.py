"""Migration 0010 on the real database: keyword search's scope statistics are read from the
covering B-tree (EXPLAIN: an index-only scan), the index is built valid, and the migration
runner runs a no-transaction file one statement at a time."""

from __future__ import annotations

import json
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any, cast

import httpx
import psycopg
from psycopg import sql
from psycopg.conninfo import make_conninfo

from memory_mesh.domain.models import SearchMode, SearchQuery
from memory_mesh.runtime import Runtime
from memory_mesh.store.migrations import Migration, available_migrations, migrate
from tests.conftest import new_conversation
from tests.integration.batch import store_batch
from tests.integration.search_support import run_planned, settle_messages
from tests.integration.test_message_vectors import TEXTS, _Explaining


def _scans(node: dict[str, Any]) -> list[tuple[str, str | None]]:
    """Every scan of the plan: (node type, index name)."""
    found = [(node["Node Type"], node.get("Index Name"))]
    for child in node.get("Plans", []):
        found += _scans(child)
    return found


async def _plan(runtime: Runtime, query: SearchQuery) -> dict[str, Any]:
    """The service's exact-plan statement under EXPLAIN, sequential scans off: the test's
    table is small enough that reading it whole would win, which a real scope's is not."""
    async with runtime.db.tenant(query.tenant_id) as conn:
        await conn.execute("set local enable_seqscan = off")
        explaining = _Explaining(conn)
        await run_planned(cast(Any, explaining), runtime, query, plan="exact")
    plan: dict[str, Any] = json.loads(explaining.plan)[0]["Plan"]
    return plan


async def test_keyword_scope_statistics_are_an_index_only_scan_of_the_covering_index(
    client: httpx.AsyncClient, runtime: Runtime, tenant: str, database_url: str
) -> None:
    conv = await new_conversation(client, tenant)
    await store_batch(client, tenant, conv, [f"{t} (note {i})" for i in range(12) for t in TEXTS])
    # what autovacuum does after 2% of the rows changed (the migration's setting): marks the
    # pages all-visible, which an index-only scan needs to skip the heap
    settle_messages(database_url)
    for mode in (SearchMode.keyword, SearchMode.hybrid):
        for scope in (uuid.UUID(conv), None):  # a conversation, and the whole tenant
            query = SearchQuery(
                tenant_id=tenant, query="dog park", mode=mode, conversation_id=scope
            )
            scans = _scans(await _plan(runtime, query))
            assert ("Index Only Scan", "messages_keyword_scope") in scans, scans


def test_the_keyword_scope_index_is_built_valid(database_url: str) -> None:
    with psycopg.connect(database_url, autocommit=True) as conn:
        row = conn.execute(
            "select i.indisvalid from pg_index i join pg_class c on c.oid = i.indexrelid"
            " where c.relname = 'messages_keyword_scope'"
        ).fetchone()
    assert row == (True,)


def test_a_no_transaction_migration_is_split_into_its_statements() -> None:
    (migration,) = [m for m in available_migrations() if m.version == 10]
    assert not migration.transactional
    statements = migration.statements(384)
    assert "drop index concurrently if exists messages_keyword_scope" in statements[0]
    assert "create index concurrently messages_keyword_scope" in statements[1]
    assert len(statements) == 3  # drop, create, the table's vacuum settings
    plain = Migration(1, "x", "create table a (v vector({dimensions}));\nselect 1;\n")
    assert plain.transactional
    assert plain.statements(3) == ["create table a (v vector(3));\nselect 1;\n"]


def test_two_processes_migrating_a_new_database_at_once_do_not_deadlock(database_url: str) -> None:
    # 0010 builds its index concurrently while holding the migration lock; a second
    # migrator blocked inside pg_advisory_lock held a snapshot that build waits for
    name = f"mm_concurrent_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(database_url, autocommit=True) as admin:
        admin.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
    url = make_conninfo(database_url, dbname=name)
    with ThreadPoolExecutor(max_workers=2) as pool:
        runs = [pool.submit(migrate, url, dimensions=384) for _ in range(2)]
        applied = [run.result(timeout=120) for run in runs]
    versions = [m.version for m in available_migrations()]
    assert sorted(applied[0] + applied[1]) == versions  # each migration applied once
    with psycopg.connect(url) as conn:
        row = conn.execute(
            "select indisvalid from pg_index where indexrelid = 'messages_keyword_scope'::regclass"
        ).fetchone()
    assert row == (True,)
