"""Pooled connections that died while idle (a Lambda container frozen for minutes, a
failover, a proxy's idle timeout) are replaced at checkout, not handed to a request."""

from __future__ import annotations

import psycopg

from memory_mesh.store.database import Database


async def _backend_pid(db: Database) -> int:
    async with db.connection() as conn:
        row = await (await conn.execute("select pg_backend_pid() as pid")).fetchone()
        assert row is not None
        return int(row["pid"])


async def test_a_connection_killed_server_side_while_idle_is_replaced_and_the_next_request_succeeds(
    database_url: str,
) -> None:
    # GIVEN a pool of exactly one connection, used once
    db = Database(database_url, min_size=1, max_size=1, statement_timeout_ms=5_000)
    await db.open()
    try:
        first = await _backend_pid(db)
        # WHEN the server ends that connection's backend while it sits idle in the pool
        with psycopg.connect(database_url, autocommit=True) as admin:
            ended = admin.execute("select pg_terminate_backend(%s)", [first]).fetchone()
            assert ended == (True,)
        # THEN the next request gets a new, working connection instead of an error
        second = await _backend_pid(db)
        assert second != first
        async with db.tenant("t-pool") as conn:
            row = await (
                await conn.execute("select current_setting('memory_mesh.tenant_id') as t")
            ).fetchone()
            assert row == {"t": "t-pool"}
    finally:
        await db.close()
