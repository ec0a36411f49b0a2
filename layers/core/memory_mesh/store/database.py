"""Connection pool and transactions. Every tenant-scoped unit of work runs in
:meth:`Database.tenant` so the tenant of the transaction is known to PostgreSQL
(``memory_mesh.tenant_id``), which the row-level security policies key on.

The pool connects with a fixed conninfo (the local server, the CLI) or with
:class:`Credentials` asked afresh for every new connection (Lambda: a Secrets Manager
secret that may be rotated while the container is warm).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, Protocol, Self

import psycopg
from pgvector.psycopg import register_vector_async
from psycopg.pq import TransactionStatus
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool

from memory_mesh.errors import ServiceUnavailable
from memory_mesh.observability.xray import subsegment

log = logging.getLogger(__name__)

Conn = psycopg.AsyncConnection[dict[str, Any]]

APP_ROLE = "memory_mesh_app"  # the role every application statement runs as (migration 0002)
# the tenant of the transaction, which the row-level security policies key on
_SET_TENANT = "select set_config('memory_mesh.tenant_id', %s, true)"
# a keyset page walks its index in order and stops at the page (``tenant(in_order=True)``).
# Left to its estimates, a planner that thinks few rows follow the cursor (a table not yet
# analyzed, conversations made since the last ANALYZE, a large tenant or conversation
# costed at the average) reads every row after the cursor by bitmap and sorts them, for
# each page: a listing of a tenant's conversations read all 2,500 older ones for a page
# of 50 (EXPLAIN, PostgreSQL 18; tests/integration/test_page_plans.py)
_IN_ORDER = ", set_config('enable_sort', 'off', true), set_config('enable_bitmapscan', 'off', true)"
# login refused for its credentials: invalid_password, invalid_authorization_specification
_AUTH_SQLSTATES = frozenset({"28P01", "28000"})


class Credentials(Protocol):
    """Where each new connection's conninfo comes from when it can change underneath a
    running process (a rotated password)."""

    async def conninfo(self) -> str:
        """The conninfo to connect with now (may come from a cache)."""
        ...

    async def refreshed(self) -> str:
        """The conninfo read again past every cache (after a refused login)."""
        ...


def is_authentication_failure(exc: psycopg.Error) -> bool:
    """Whether the server refused the login itself (not an unreachable or full server)."""
    if exc.sqlstate in _AUTH_SQLSTATES:
        return True
    # libpq reports a refused login without a SQLSTATE; its message is stable
    return "password authentication failed" in str(exc)


def _connection_class(credentials: Credentials) -> type[Conn]:
    """A connection class whose ``connect`` survives a rotation the cache has not seen:
    on a refused login it reads the credentials again, bypassing the cache, and retries
    once, so a rotated password costs one extra round trip instead of 503s until the
    cached secret expires."""

    class RefreshingConnection(psycopg.AsyncConnection[dict[str, Any]]):
        @classmethod
        async def connect(cls, conninfo: str = "", **kwargs: Any) -> Self:
            try:
                return await super().connect(conninfo, **kwargs)
            except psycopg.OperationalError as exc:
                if not is_authentication_failure(exc):
                    raise
                fresh = await credentials.refreshed()
                if fresh == conninfo:  # not rotated: the credentials are just wrong
                    raise
                log.warning("database login refused; retrying with credentials read again")
                return await super().connect(fresh, **kwargs)

    return RefreshingConnection


class Database:
    """A pool of connections with pgvector types registered on each.

    ``conninfo``: a fixed URL, or :class:`Credentials` asked for every new connection.
    """

    def __init__(
        self,
        conninfo: str | Credentials,
        *,
        min_size: int,
        max_size: int,
        statement_timeout_ms: int,
        pool_timeout: float = 10.0,
    ):
        connection_class: type[Conn] = psycopg.AsyncConnection
        if not isinstance(conninfo, str):
            connection_class = _connection_class(conninfo)
        self._pool: AsyncConnectionPool[Conn] = AsyncConnectionPool(
            conninfo if isinstance(conninfo, str) else conninfo.conninfo,
            min_size=min_size,
            max_size=max_size,
            open=False,
            timeout=pool_timeout,  # waiting longer for a connection answers 503
            kwargs={
                "row_factory": dict_row,
                "options": f"-c statement_timeout={statement_timeout_ms}",
            },
            configure=self._configure,
            # a connection left idle while a Lambda container was frozen (or cut by a
            # failover, or by RDS Proxy's idle timeout) is found dead here and replaced,
            # at the cost of one round trip per checkout, instead of failing the request
            check=AsyncConnectionPool.check_connection,
            connection_class=connection_class,
        )

    @staticmethod
    async def _configure(conn: Conn) -> None:
        await conn.set_autocommit(True)
        await register_vector_async(conn)
        # row-level security applies to this role (see migration 0002). The cloud's login
        # role starts its sessions as it already (store/login_role.py): no SET then, which
        # would pin the session to one backend behind RDS Proxy
        row = await (await conn.execute("select current_user as role")).fetchone()
        if row is None or row["role"] != APP_ROLE:
            await conn.execute(f"set role {APP_ROLE}")

    async def open(self, *, wait: bool = True) -> None:
        """Open the pool; with ``wait``, fail unless its first connections are made within
        30 s. Without it (Lambda), an unreachable database costs each request the pool
        timeout and a 503, instead of failing the container's start."""
        await self._pool.open(wait=wait, timeout=30.0)

    async def close(self) -> None:
        await self._pool.close()

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[Conn]:
        """A pooled connection in autocommit mode (for reads that need no tenant)."""
        try:
            # one X-Ray subsegment (Lambda only) per unit of work, checkout included
            with subsegment("postgres"):
                async with self._pool.connection() as conn:
                    yield conn
        except psycopg.OperationalError as exc:
            raise ServiceUnavailable(
                "the database is unavailable", code="datastore_unavailable"
            ) from exc

    @asynccontextmanager
    async def tenant(self, tenant_id: str, *, in_order: bool = False) -> AsyncIterator[Conn]:
        """A transaction bound to ``tenant_id``: committed on exit, rolled back on error.

        ``in_order``: for reading keyset pages, its statements walk indexes in order
        instead of sorting (:data:`_IN_ORDER`), set with the tenant (no extra round trip).
        """
        async with self.connection() as conn, conn.transaction():
            await conn.execute(_SET_TENANT + (_IN_ORDER if in_order else ""), [tenant_id])
            yield conn

    @asynccontextmanager
    async def tenant_pipeline(self, tenant_id: str) -> AsyncIterator[Conn]:
        """The transaction of :meth:`tenant` in pipeline mode, for a read of a few
        statements: nothing is sent until a result is read, so BEGIN and the tenant's
        setting travel with the first statement read, and COMMIT (sent on leaving the
        block) with the last. Read a cursor after the block and the whole transaction takes
        one round trip. Any statement's error is raised by the read that meets it or, at
        the latest, on leaving the block; the transaction is then rolled back."""
        async with self.connection() as conn:
            try:
                async with conn.pipeline():
                    # explicit BEGIN/COMMIT as statements: psycopg's transaction() would
                    # wait for BEGIN and sync again before COMMIT (two more round trips)
                    await conn.execute("begin")
                    await conn.execute(_SET_TENANT, [tenant_id])
                    yield conn
                    await conn.execute("commit")
            except BaseException:
                await _roll_back(conn)
                raise

    @asynccontextmanager
    async def system(self) -> AsyncIterator[Conn]:
        """A transaction for cross-tenant system work (the embedding worker, auth lookups)."""
        async with self.connection() as conn, conn.transaction():
            await conn.execute("set local role memory_mesh_system")
            yield conn

    async def ping(self) -> None:
        async with self.connection() as conn:
            await conn.execute("select 1")


async def _roll_back(conn: Conn) -> None:
    """End a transaction a failed pipeline left open (a broken connection is left to the
    pool, which replaces it)."""
    if conn.info.transaction_status in (TransactionStatus.INTRANS, TransactionStatus.INERROR):
        try:
            await conn.execute("rollback")
        except psycopg.Error:
            log.warning("rolling back after a failed pipeline failed", exc_info=True)
