"""The triggers that keep ``message_terms`` and ``message_vectors`` in step with ``messages``
read the rows they change by key, whatever the tables held when a connection first ran
them (migration 0021).

PL/pgSQL keeps a statement's generic plan for the life of its connection, replanned only
when the table is analysed. A connection that first wrote a table of a few rows got a
sequential scan for the triggers' key lookups (cheapest then) and kept it as the table
grew: a retention batch of 1,000 archived rows then scanned the whole postings table a
thousand times and ran out of its statement timeout (CI, seen once). Autovacuum is off
here, so the table grows under the cached plan as it did between two autoanalyzes."""

from __future__ import annotations

from typing import Any

import psycopg

from tests.integration.test_conversation_lookup_plan import _database
from tests.integration.test_search_plan_statistics import CONVERSATION, _a_few_rows

SYNCED = ("message_terms", "message_vectors")

# each write whose triggers find rows of the synced tables by key: archive (the postings'
# scope columns, the vector row updated), an edit (the old postings deleted), a message
# back to pending (its vector row deleted)
WRITES = (
    "update messages set archived = true where id = %s",
    "update messages set content = 'a new fence ' || id where id = %s",
    "update messages set embedding_status = 'pending' where id = %s",
)


def _write_each(conn: psycopg.Connection[Any], ids: list[Any]) -> None:
    for statement in WRITES:
        for message in ids:
            conn.execute(statement, [message])


def _ready_ids(conn: psycopg.Connection[Any], n: int) -> list[Any]:
    rows = conn.execute(
        "select id from messages where embedding_status = 'ready' and not archived limit %s", [n]
    ).fetchall()
    return [row[0] for row in rows]


async def test_a_connection_that_first_wrote_small_tables_reads_them_by_key_once_large(
    database_url: str,
) -> None:
    async with _database(database_url) as url:
        with psycopg.connect(url, autocommit=True) as conn:
            for table in ("messages", *SYNCED):
                conn.execute(f"alter table {table} set (autovacuum_enabled = off)")
            _a_few_rows(conn)  # 20 messages
            _write_each(conn, _ready_ids(conn, 8))  # past the 5 custom plans: generic now
            conn.execute(
                "insert into messages (id, tenant_id, conversation_id, role, content,"
                " importance, embedding, embedding_model, embedding_status)"
                " select gen_random_uuid(), 'tenant-a', %s, 'user', 'the garden fence, turn '"
                " || i, 0.5, array_fill(0.05, array[384])::vector, 'm', 'ready'"
                " from generate_series(1, 5000) i",
                [CONVERSATION],
            )
            with conn.transaction():
                _write_each(conn, _ready_ids(conn, 20))
                scans = dict(
                    conn.execute(
                        "select relname, seq_scan from pg_stat_xact_user_tables"
                        " where relname = any(%s)",
                        [list(SYNCED)],
                    ).fetchall()
                )
    assert scans == dict.fromkeys(SYNCED, 0), scans
