"""A conversation's messages in reading order (created_at, then arrival) are resumed after
a page by a seek, in the listing and in the export: EXPLAIN ANALYZE reads about the
page's rows, not the rest of the conversation. Planner-level, no timing."""

from __future__ import annotations

import json
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from psycopg import sql

from memory_mesh.runtime import Runtime
from memory_mesh.store import messages as message_store
from memory_mesh.store import transfer as transfer_store
from tests.integration import seed
from tests.integration.search_support import settle_messages

ROWS = 2000
PAGE = 50
SHORT_CONVERSATIONS = 5000


class _Explaining:
    """The connection with its statements run under EXPLAIN ANALYZE (their plans kept)."""

    def __init__(self, conn: Any) -> None:
        self._conn = conn
        self.plans: list[dict[str, Any]] = []

    async def execute(self, query: Any, params: Any = None) -> Any:
        text = query.as_string(self._conn) if isinstance(query, sql.Composable) else str(query)
        cur = await self._conn.execute("explain (analyze, format json) " + text, params)
        row = await cur.fetchone()
        plan = next(iter(row.values()))
        self.plans.append((json.loads(plan) if isinstance(plan, str) else plan)[0]["Plan"])
        return self

    async def fetchall(self) -> list[Any]:
        return []


def _nodes(node: dict[str, Any]) -> list[dict[str, Any]]:
    found = [node]
    for child in node.get("Plans", []):
        found += _nodes(child)
    return found


def _reads_a_page(plans: list[dict[str, Any]]) -> None:
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
            n.get("Relation Name") in ("messages", "conversations")
            or (n.get("Index Name") or "").startswith(("messages_", "conversations_"))
        )
    ]
    assert any(n.get("Relation Name") == "messages" for n in scans), described
    assert all(read(n) <= 2 * PAGE + 2 for n in scans), described


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
    # and many short conversations beside them, as the shared test database holds: the
    # planner's idea of a conversation's size is then a handful of rows. A lateral join
    # bound to the conversation as a join key (the export's first form) was costed at that
    # and read the long conversation's rest by bitmap, then sorted it
    short_at = start - timedelta(days=1)
    async with runtime.db.tenant(tenant) as conn:
        cur = await conn.execute(
            "insert into conversations (id, tenant_id, title, created_at)"
            " select gen_random_uuid(), %s, 'short', %s from generate_series(1, %s)"
            " returning id",
            [tenant, short_at, SHORT_CONVERSATIONS],
        )
        short = [str(row["id"]) for row in await cur.fetchall()]
    await seed.insert(runtime, tenant, [seed.Row(c, start) for c in short for _ in range(2)])
    settle_messages(database_url)
    middle = rows[ROWS // 2]

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
    # the tenant's export resumed after a short conversation: the walk reads the next
    # conversations up to a page, not all of them (their statistics are stale: made after
    # the last ANALYZE of conversations)
    halfway = sorted(short)[len(short) // 2]
    tenant_export = await _explained(
        runtime,
        tenant,
        lambda conn: transfer_store.export_page(
            conn,
            tenant_id=tenant,
            conversation_id=None,
            after=transfer_store.ExportKey(short_at, uuid.UUID(halfway), None, None),
            limit=PAGE,
            include_archived=False,
        ),
    )
    _reads_a_page(listing)
    _reads_a_page(export)
    _reads_a_page(tenant_export)


async def _explained(
    runtime: Runtime, tenant: str, read: Callable[[Any], Awaitable[object]]
) -> list[dict[str, Any]]:
    """The plans of the statements ``read`` runs, in a tenant transaction of its own."""
    async with runtime.db.tenant(tenant) as conn:
        explaining = _Explaining(conn)
        await read(explaining)
    return explaining.plans
