"""Pooled connections that died while idle (a Lambda container frozen for minutes, a
failover, a proxy's idle timeout) are replaced at checkout, not handed to a request."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import psycopg
import pytest
from psycopg.pq import TransactionStatus

from memory_mesh.store.database import Database


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    """A pool of exactly one connection, open."""
    pool = Database(database_url, min_size=1, max_size=1, statement_timeout_ms=5_000)
    await pool.open()
    try:
        yield pool
    finally:
        await pool.close()


async def _backend_pid(db: Database) -> int:
    async with db.connection() as conn:
        row = await (await conn.execute("select pg_backend_pid() as pid")).fetchone()
        assert row is not None
        return int(row["pid"])


async def test_a_connection_killed_server_side_while_idle_is_replaced_and_the_next_request_succeeds(
    database_url: str, db: Database
) -> None:
    # GIVEN a pool of exactly one connection, used once
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


def _client_messages(trace: Path) -> list[str]:
    """The protocol messages the client sent, by name, from libpq's trace."""
    return [line.split("\t")[3] for line in trace.read_text().splitlines() if "\tF\t" in line]


async def test_a_tenant_pipeline_is_one_round_trip_and_bound_to_its_tenant(
    db: Database, tmp_path: Path
) -> None:
    trace_file = tmp_path / "trace"
    with trace_file.open("w") as trace:
        async with db.connection() as conn:  # the pool's one connection
            conn.pgconn.trace(trace.fileno())
        async with db.tenant_pipeline("t-pipe") as conn:
            first = await conn.execute("select current_setting('memory_mesh.tenant_id') as t")
            second = await conn.execute("select txid_current() as tx")
        tenants = await first.fetchall()
        transactions = await second.fetchall()
        async with db.connection() as conn:
            conn.pgconn.untrace()
            after = await (
                await conn.execute("select current_setting('memory_mesh.tenant_id', true) as t")
            ).fetchone()
    assert tenants == [{"t": "t-pipe"}]
    assert len(transactions) == 1
    assert after is not None and after["t"] in ("", None)  # transaction-local
    sent = _client_messages(trace_file)
    # BEGIN, the tenant, two statements and COMMIT, one Sync: one round trip
    assert sent.count("Execute") == 5
    assert sent.count("Sync") == 1


async def test_a_failing_statement_in_a_tenant_pipeline_is_raised_and_rolled_back(
    db: Database,
) -> None:
    with pytest.raises(psycopg.errors.DivisionByZero):
        async with db.tenant_pipeline("t-pipe") as conn:
            await conn.execute("select 1 / 0")
    async with db.connection() as conn:  # the same connection, usable and idle
        assert conn.info.transaction_status is TransactionStatus.IDLE
        row = await (
            await conn.execute("select current_setting('memory_mesh.tenant_id', true) as t")
        ).fetchone()
        assert row is not None and row["t"] in ("", None)
