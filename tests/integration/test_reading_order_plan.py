"""A conversation's messages in reading order (created_at, then arrival) are resumed after
a page by a seek on (conversation_id, created_at, seq), in the listing and in the export:
EXPLAIN ANALYZE reads the page's rows, not the conversation. Planner-level, no timing."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

from psycopg import sql

from memory_mesh.runtime import Runtime
from memory_mesh.store import messages as message_store
from memory_mesh.store import transfer as transfer_store
from tests.integration import seed
from tests.integration.search_support import settle_messages

ROWS = 2000
PAGE = 50


class _Explaining:
    """The connection with its statements run under EXPLAIN ANALYZE (the plan kept)."""

    def __init__(self, conn: Any) -> None:
        self._conn = conn
        self.plan: dict[str, Any] = {}

    async def execute(self, query: Any, params: Any = None) -> Any:
        text = query.as_string(self._conn) if isinstance(query, sql.Composable) else str(query)
        cur = await self._conn.execute("explain (analyze, format json) " + text, params)
        row = await cur.fetchone()
        plan = next(iter(row.values()))
        self.plan = (json.loads(plan) if isinstance(plan, str) else plan)[0]["Plan"]
        return self

    async def fetchall(self) -> list[Any]:
        return []


def _nodes(node: dict[str, Any]) -> list[dict[str, Any]]:
    found = [node]
    for child in node.get("Plans", []):
        found += _nodes(child)
    return found


def _seeks_the_arrival_index(plan: dict[str, Any]) -> None:
    scans = [n for n in _nodes(plan) if n.get("Index Name") == "messages_conversation_arrival"]
    assert len(scans) == 1, [(n["Node Type"], n.get("Index Name")) for n in _nodes(plan)]
    (scan,) = scans
    assert scan["Node Type"] == "Index Scan"
    assert "ROW(created_at, seq) >" in scan["Index Cond"], scan["Index Cond"]
    # the page (and the row the limit stops after), not the conversation's 2,000
    assert scan["Actual Rows"] <= PAGE + 1, scan["Actual Rows"]


async def test_a_page_after_a_cursor_seeks_in_the_listing_and_the_export(
    runtime: Runtime, tenant: str, database_url: str
) -> None:
    conv, other = await seed.conversation(runtime, tenant), await seed.conversation(runtime, tenant)
    now = datetime.now(UTC)  # one time for all: the order is arrival alone
    rows = [seed.Row(conv, now) for _ in range(ROWS)]
    await seed.insert(runtime, tenant, rows)
    await seed.insert(runtime, tenant, [seed.Row(other, now) for _ in range(10 * ROWS)])
    settle_messages(database_url)
    middle = rows[ROWS // 2]

    async with runtime.db.tenant(tenant) as conn:
        listing = _Explaining(conn)
        await message_store.list_conversation_page(
            listing,  # type: ignore[arg-type]
            tenant_id=tenant,
            conversation_id=uuid.UUID(conv),
            limit=PAGE,
            after=(now, uuid.UUID(middle.id)),
            include_archived=False,
        )
        export = _Explaining(conn)
        await transfer_store.export_page(
            export,  # type: ignore[arg-type]
            tenant_id=tenant,
            conversation_id=uuid.UUID(conv),
            after=transfer_store.ExportKey(now, uuid.UUID(conv), now, uuid.UUID(middle.id)),
            limit=PAGE,
            include_archived=False,
        )
    _seeks_the_arrival_index(listing.plan)
    _seeks_the_arrival_index(export.plan)
