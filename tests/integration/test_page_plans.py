"""Pages cost their own rows: EXPLAIN ANALYZE of every statement a page runs reads about a
page, not the rest of the conversation nor every row after the cursor. Planner-level, no
timing.

- A conversation's messages in reading order (created_at, then arrival) resume after a
  page by a seek, in the listing and in the export (the statements themselves).
- Keyset pages (conversations, export, retention runs) walk their index in order whatever
  the statistics say: the services open them with ``Database.tenant(in_order=True)``;
  with a table not yet analyzed the planner otherwise read every row after the cursor
  and sorted them, for each page.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from psycopg import sql

from memory_mesh.domain.cursor import encode_cursor
from memory_mesh.runtime import Runtime
from memory_mesh.services import transfer as transfer_service
from memory_mesh.store import messages as message_store
from memory_mesh.store import transfer as transfer_store
from tests.integration import seed
from tests.integration.search_support import settle_messages

ROWS = 2000
PAGE = 50
SHORT_CONVERSATIONS = 5000


class _Explaining:
    """The connection with each SELECT also run under EXPLAIN ANALYZE first (its plan
    kept); the statement itself then runs as usual."""

    def __init__(self, conn: Any, plans: list[dict[str, Any]]) -> None:
        self._conn = conn
        self.plans = plans

    async def execute(self, query: Any, params: Any = None) -> Any:
        text = query.as_string(self._conn) if isinstance(query, sql.Composable) else str(query)
        if text.lstrip().lower().startswith(("select", "with")):
            cur = await self._conn.execute("explain (analyze, format json) " + text, params)
            row = await cur.fetchone()
            plan = next(iter(row.values()))
            self.plans.append((json.loads(plan) if isinstance(plan, str) else plan)[0]["Plan"])
        return await self._conn.execute(query, params)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._conn, name)


def _nodes(node: dict[str, Any]) -> list[dict[str, Any]]:
    found = [node]
    for child in node.get("Plans", []):
        found += _nodes(child)
    return found


def _reads_a_page(
    plans: list[dict[str, Any]], tables: tuple[str, ...] = ("messages", "conversations")
) -> None:
    """Every scan of ``messages`` and ``conversations`` reads about a page in all its loops
    (one row for the cursor's probe by primary key aside), not the rest of the conversation
    or the conversations after the cursor: the resume is an index condition that seeks, and
    the walk stops at the page. Which index the planner takes (the conversation's, or the
    tenant's by time when the two conversations interleave) is its choice."""
    nodes = [n for plan in plans for n in _nodes(plan)]

    def read(n: dict[str, Any]) -> float:
        return (n["Actual Rows"] + n.get("Rows Removed by Filter", 0)) * n["Actual Loops"]

    described = ", ".join(
        f"{n['Node Type']} {n.get('Index Name') or n.get('Relation Name') or ''}"
        f" rows={n.get('Actual Rows')} loops={n.get('Actual Loops')}"
        for n in nodes
    )
    scans = [
        n
        for n in nodes
        if "Scan" in n["Node Type"]
        and n.get("Index Name") != "messages_pkey"
        and (
            n.get("Relation Name") in tables
            or (n.get("Index Name") or "").startswith(tuple(f"{t}_" for t in tables))
        )
    ]
    assert scans, described
    over = [n for n in scans if read(n) > 2 * PAGE + 2]
    assert not over, described


async def _short_conversations(runtime: Runtime, tenant: str, at: datetime) -> list[str]:
    """Many short conversations (2 messages each), all made at ``at``, in one statement:
    the conversations table is not analyzed after it, as a young deployment's or one
    grown since its last ANALYZE (the shared test database's), and the planner then
    guesses a handful of rows after any cursor."""
    async with runtime.db.tenant(tenant) as conn:
        cur = await conn.execute(
            "insert into conversations (id, tenant_id, title, created_at)"
            " select gen_random_uuid(), %s, 'short', %s from generate_series(1, %s)"
            " returning id",
            [tenant, at, SHORT_CONVERSATIONS],
        )
        short = [str(row["id"]) for row in await cur.fetchall()]
    await seed.insert(runtime, tenant, [seed.Row(c, at) for c in short for _ in range(2)])
    return short


@pytest.mark.parametrize("tied", [4, ROWS], ids=["times-in-groups-of-4", "all-at-one-time"])
async def test_a_page_after_a_cursor_seeks_in_the_listing_and_the_export(
    runtime: Runtime, tenant: str, database_url: str, tied: int
) -> None:
    # messages written ``tied`` at one time, so arrival orders within each group: all at
    # one time (one large untimed batch) is the order's own worst case, and with no spread
    # in the statistics the planner guesses rows after the cursor from the conversation's
    # size alone
    start = datetime.now(UTC) - timedelta(days=1)
    conv = await seed.conversation(runtime, tenant, created_at=start)
    other = await seed.conversation(runtime, tenant, created_at=start)
    rows = [seed.Row(conv, start + timedelta(seconds=i // tied)) for i in range(ROWS)]
    await seed.insert(runtime, tenant, rows)
    await seed.insert(
        runtime,
        tenant,
        [seed.Row(other, start + timedelta(seconds=i // tied)) for i in range(10 * ROWS)],
    )
    # and many short ones beside them: the planner's idea of a conversation's size is then
    # a handful of rows. A lateral join bound to the conversation as a join key (the
    # export's first form) was costed at that and read the long conversation's rest by
    # bitmap, then sorted it
    await _short_conversations(runtime, tenant, start - timedelta(days=1))
    settle_messages(database_url)
    middle = rows[ROWS // 2]

    # in a plain tenant transaction: the seek is the statements' own
    listing = await _explained(
        runtime,
        tenant,
        lambda conn: message_store.list_conversation_page(
            conn,
            tenant_id=tenant,
            conversation_id=uuid.UUID(conv),
            limit=PAGE,
            after=(middle.created_at, uuid.UUID(middle.id)),
            include_archived=False,
        ),
    )
    export = await _explained(
        runtime,
        tenant,
        lambda conn: transfer_store.export_page(
            conn,
            tenant_id=tenant,
            conversation_id=uuid.UUID(conv),
            after=transfer_store.ExportKey(
                start, uuid.UUID(conv), middle.created_at, uuid.UUID(middle.id)
            ),
            limit=PAGE,
            include_archived=False,
        ),
    )
    _reads_a_page(listing)
    _reads_a_page(export)
    # the conversation's own row went out with the page before: the rest does not read it
    # again (joined to it, a CI run read it through the tenant's index: every conversation
    # of the tenant, for every page)
    assert not [
        n for plan in export for n in _nodes(plan) if n.get("Relation Name") == "conversations"
    ], export


async def _explained(
    runtime: Runtime, tenant: str, read: Callable[[Any], Awaitable[object]]
) -> list[dict[str, Any]]:
    """The plans of the statements ``read`` runs, in a tenant transaction of its own."""
    plans: list[dict[str, Any]] = []
    async with runtime.db.tenant(tenant) as conn:
        await read(_Explaining(conn, plans))
    return plans


async def test_keyset_pages_walk_their_index_whatever_the_statistics(
    runtime: Runtime, tenant: str, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = datetime.now(UTC) - timedelta(days=2)
    short = await _short_conversations(runtime, tenant, at)
    # messages analyzed (autovacuum takes that busy table early), conversations not. (With
    # no statistics for messages either, the export's lateral read may take the tenant's
    # time index and filter the conversation: rows for every conversation of the tenant)
    settle_messages(database_url)
    plans: list[dict[str, Any]] = []
    opened = runtime.db.tenant

    @asynccontextmanager
    async def explaining(tenant_id: str, **kwargs: Any) -> AsyncIterator[Any]:
        async with opened(tenant_id, **kwargs) as conn:
            yield _Explaining(conn, plans)

    monkeypatch.setattr(runtime.db, "tenant", explaining)
    monkeypatch.setattr(transfer_service, "EXPORT_PAGE_ROWS", PAGE)

    # the conversations listing, newest first, from a cursor in the middle
    halfway = uuid.UUID(sorted(short)[len(short) // 2])
    page = await runtime.conversations.list(tenant, limit=PAGE, cursor=encode_cursor(at, halfway))
    assert len(page.items) == PAGE
    _reads_a_page(plans)

    # the tenant's whole export, page after page: every page's statements read about a page
    plans.clear()
    lines = 0
    async for chunk in runtime.transfer.export(tenant):
        lines += chunk.count(b"\n")
    assert lines == 1 + SHORT_CONVERSATIONS * 3 + 1
    assert len(plans) >= SHORT_CONVERSATIONS * 3 // PAGE
    for plan in plans:
        _reads_a_page([plan])

    # the retention runs, newest first, from a cursor in the middle
    async with opened(tenant) as conn:
        cur = await conn.execute(
            "insert into retention_runs (id, tenant_id, triggered_by, dry_run, status, as_of,"
            " started_at) select gen_random_uuid(), %s, 'schedule', false, 'succeeded', %s, %s"
            " from generate_series(1, %s) returning id",
            [tenant, at, at, SHORT_CONVERSATIONS],
        )
        runs = sorted(str(row["id"]) for row in await cur.fetchall())
    plans.clear()
    page = await runtime.retention.list_runs(
        tenant, limit=PAGE, cursor=encode_cursor(at, uuid.UUID(runs[len(runs) // 2]))
    )
    assert len(page.items) == PAGE
    _reads_a_page(plans, ("retention_runs",))
