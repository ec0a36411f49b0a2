"""Pooled connections that died while idle (a Lambda container frozen for minutes, a
failover, a proxy's idle timeout) are replaced at checkout, not handed to a request; one
given back moments ago is handed out without a round trip."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import psycopg
import pytest
from psycopg.pq import TransactionStatus

from memory_mesh.cloud.lambda_runtime import LambdaContainer
from memory_mesh.embeddings.deterministic import DeterministicEmbedder
from memory_mesh.store.database import Conn, Database
from tests.conftest import make_settings


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
    # GIVEN a pool of exactly one connection, used once (just now: its checkout looks at
    # the socket, where the server's FATAL message and end of file wait)
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


async def _select_one(conn: Conn) -> int:
    row = await (await conn.execute("select 1 as one")).fetchone()
    assert row is not None
    return int(row["one"])


async def _read_messages(db: Database, trace_file: Path, pause: float = 0.0) -> list[str]:
    """The protocol messages one read (:meth:`Database.read`: checkout, BEGIN, tenant,
    statement, COMMIT) sent, its connection given back ``pause`` seconds before."""
    with trace_file.open("w") as trace:
        async with db.connection() as conn:  # the pool's one connection
            conn.pgconn.trace(trace.fileno())
        await asyncio.sleep(pause)
        assert await db.read("t-read", _select_one) == 1
        async with db.connection() as conn:
            conn.pgconn.untrace()
    sent = _client_messages(trace_file)
    return sent[: sent.index("Sync") + 1]  # up to the read's one Sync


async def test_a_read_takes_a_connection_given_back_moments_ago_without_a_round_trip(
    db: Database, tmp_path: Path
) -> None:
    sent = await _read_messages(db, tmp_path / "trace")
    # the pipeline alone: no check before it (a checked checkout's is an empty simple Query)
    assert "Query" not in sent
    assert sent.count("Execute") == 4  # BEGIN, the tenant, the statement, COMMIT


@pytest.mark.parametrize(
    ("revalidate_after", "pause"),
    [(0.0, 0.0), (0.2, 0.3)],
    ids=["every-checkout", "idle-past-the-window"],
)
async def test_a_read_checks_a_connection_idle_past_the_window_with_a_round_trip(
    database_url: str, tmp_path: Path, revalidate_after: float, pause: float
) -> None:
    # Lambda checks every checkout (0); a server, a connection idle longer than the window
    pool = Database(
        database_url,
        min_size=1,
        max_size=1,
        statement_timeout_ms=5_000,
        revalidate_after=revalidate_after,
    )
    await pool.open()
    try:
        sent = await _read_messages(pool, tmp_path / "trace", pause)
    finally:
        await pool.close()
    assert sent[0] == "Query"  # the check's empty query, then the pipeline
    assert sent.count("Execute") == 4


async def test_every_other_checkout_checks_its_connection_with_a_round_trip(
    db: Database, tmp_path: Path
) -> None:
    # a write cannot simply run again on another connection: its checkout is checked
    with (tmp_path / "trace").open("w") as trace:
        async with db.connection() as conn:
            conn.pgconn.trace(trace.fileno())
        async with db.tenant("t-write") as conn:
            await conn.execute("select 1")
            conn.pgconn.untrace()
    assert _client_messages(tmp_path / "trace")[0] == "Query"


async def test_a_read_on_a_connection_the_server_ended_a_moment_ago_runs_again(
    database_url: str, db: Database
) -> None:
    # the server's FATAL message may not have reached the socket yet when the read takes
    # the connection (14-35 of 300 such checkouts, on this machine): the read then fails on
    # it and runs again on a checked connection. 100 rounds: without that, some fail
    with psycopg.connect(database_url, autocommit=True) as admin:
        for _ in range(100):
            pid = await _backend_pid(db)
            admin.execute("select pg_terminate_backend(%s)", [pid])
            assert await db.read("t-ended", _select_one) == 1


def test_a_lambda_container_checks_its_connection_at_every_checkout(
    database_url: str, tmp_path: Path
) -> None:
    # a frozen container's clock says nothing of how long its connections sat idle
    settings = make_settings(database_url, db_pool_min_size=1, db_pool_max_size=1)
    container = LambdaContainer(settings, embedder=DeterministicEmbedder(384))
    try:
        sent = container.run(_read_messages(container.runtime().db, tmp_path / "trace"))
    finally:
        container.close()
    assert sent[0] == "Query"
