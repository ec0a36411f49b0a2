"""Connection pool and transactions. Every tenant-scoped unit of work runs in
:meth:`Database.tenant` so the tenant of the transaction is known to PostgreSQL
(``memory_mesh.tenant_id``), which the row-level security policies key on.

The pool connects with a fixed conninfo (the local server, the CLI) or with
:class:`Credentials` asked afresh for every new connection (Lambda: a Secrets Manager
secret that may be rotated while the container is warm).
"""

from __future__ import annotations

import logging
import select
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from contextvars import ContextVar
from time import monotonic
from typing import Any, Protocol, Self, TypeVar

import psycopg
from pgvector.psycopg import register_vector_async
from psycopg.pq import TransactionStatus
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool

from memory_mesh.errors import ServiceUnavailable
from memory_mesh.observability.xray import subsegment

log = logging.getLogger(__name__)

Conn = psycopg.AsyncConnection[dict[str, Any]]
T = TypeVar("T")

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
# a read that may run again (:meth:`Database.read`) takes a pooled connection given back
# less than this long ago without the checkout's round trip, if its socket is quiet
# (:meth:`Database._check`); an older one is checked with a round trip, as every other
# checkout is: a Lambda container frozen for minutes, a NAT's or a proxy's idle timeout
# can drop a connection without a word
REVALIDATE_AFTER_SECONDS = 10.0


class _Unchecked:
    """A checkout that may skip its round trip (:meth:`Database.read`), and whether it
    did."""

    __slots__ = ("skipped",)

    def __init__(self) -> None:
        self.skipped = False


# set around one checkout by Database.connection(unchecked=...), read by Database._check
_UNCHECKED: ContextVar[_Unchecked | None] = ContextVar("memory_mesh_unchecked", default=None)


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
        revalidate_after: float = REVALIDATE_AFTER_SECONDS,
    ):
        """``revalidate_after``: a read that may run again (:meth:`read`) skips the
        checkout's round trip on a connection given back less than this many seconds ago
        (0: never, as in Lambda, where a frozen container's clock is no guide)."""
        self._revalidate_after = revalidate_after
        # when each pooled connection was last given back (weak: the pool drops dead ones)
        self._returned_at: weakref.WeakKeyDictionary[Conn, float] = weakref.WeakKeyDictionary()
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
            # failover, or by RDS Proxy's idle timeout) is found dead here and replaced
            # instead of failing the request
            check=self._check,
            connection_class=connection_class,
        )

    async def _check(self, conn: Conn) -> None:
        """Raise unless ``conn`` still works (one round trip). A checkout for a read that
        may run again skips it for a connection given back within ``revalidate_after``
        seconds whose socket has nothing to read: a server that ended it (a restart,
        ``pg_terminate_backend``, a failover's shutdown, ``idle_session_timeout``) sends
        its FATAL message and closes it, which leaves the socket readable, but a
        connection ended a moment ago may not show it yet (seen in 14-35 of 300 checkouts
        made right after ``pg_terminate_backend``): the read then runs again."""
        unchecked = _UNCHECKED.get()
        if unchecked is not None:
            returned = self._returned_at.get(conn)
            recent = returned is not None and monotonic() - returned < self._revalidate_after
            if recent and _socket_quiet(conn):
                unchecked.skipped = True
                return
        await AsyncConnectionPool.check_connection(conn)

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
    async def connection(self, *, unchecked: _Unchecked | None = None) -> AsyncIterator[Conn]:
        """A pooled connection in autocommit mode (for reads that need no tenant).
        ``unchecked``: its checkout may skip the check's round trip (:meth:`read`)."""
        marked = _UNCHECKED.set(unchecked)
        reset = False
        try:
            # one X-Ray subsegment (Lambda only) per unit of work, checkout included
            with subsegment("postgres"):
                async with self._pool.connection() as conn:
                    _UNCHECKED.reset(marked)
                    reset = True
                    try:
                        yield conn
                    finally:
                        self._returned_at[conn] = monotonic()
        except psycopg.OperationalError as exc:
            raise ServiceUnavailable(
                "the database is unavailable", code="datastore_unavailable"
            ) from exc
        finally:
            if not reset:  # the checkout itself failed
                _UNCHECKED.reset(marked)

    @asynccontextmanager
    async def tenant(self, tenant_id: str, *, in_order: bool = False) -> AsyncIterator[Conn]:
        """A transaction bound to ``tenant_id``: committed on exit, rolled back on error.

        ``in_order``: for reading keyset pages, its statements walk indexes in order
        instead of sorting (:data:`_IN_ORDER`), set with the tenant (no extra round trip).
        """
        async with self.connection() as conn, conn.transaction():
            await conn.execute(_SET_TENANT + (_IN_ORDER if in_order else ""), [tenant_id])
            yield conn

    async def read(self, tenant_id: str, work: Callable[[Conn], Awaitable[T]]) -> T:
        """``work`` in a :meth:`tenant_pipeline` of ``tenant_id``: a read, which may run
        twice. Its connection skips the checkout's round trip if given back recently
        (:meth:`_check`); should that connection turn out dead (the server ended it a
        moment before), ``work`` runs again on a checked one instead of failing."""
        unchecked = _Unchecked()
        try:
            async with self.tenant_pipeline(tenant_id, unchecked=unchecked) as conn:
                result = await work(conn)
        except ServiceUnavailable as exc:
            # again only if the connection handed out unchecked was lost (not, say, on a
            # statement timeout, which would take as long again)
            if not (unchecked.skipped and _connection_lost(exc.__cause__)):
                raise
            log.info("a pooled connection had ended; the read runs again on a checked one")
        else:
            return result
        async with self.tenant_pipeline(tenant_id) as conn:
            return await work(conn)

    @asynccontextmanager
    async def tenant_pipeline(
        self, tenant_id: str, *, unchecked: _Unchecked | None = None
    ) -> AsyncIterator[Conn]:
        """The transaction of :meth:`tenant` in pipeline mode, for a read of a few
        statements: nothing is sent until a result is read, so BEGIN and the tenant's
        setting travel with the first statement read, and COMMIT (sent on leaving the
        block) with the last. Read a cursor after the block and the whole transaction takes
        one round trip. Any statement's error is raised by the read that meets it or, at
        the latest, on leaving the block; the transaction is then rolled back."""
        async with self.connection(unchecked=unchecked) as conn:
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


# SQLSTATEs of a lost connection: class 08 (connection exception) and the server's
# shutdown (57P01 admin_shutdown, 57P02 crash_shutdown, 57P03 cannot_connect_now)
_LOST_SQLSTATE_PREFIXES = ("08", "57P")


def _connection_lost(error: BaseException | None) -> bool:
    """Whether ``error`` says the connection itself was lost (libpq's own errors, such as
    "server closed the connection unexpectedly", carry no SQLSTATE)."""
    if not isinstance(error, psycopg.OperationalError):
        return False
    return error.sqlstate is None or error.sqlstate.startswith(_LOST_SQLSTATE_PREFIXES)


def _socket_quiet(conn: Conn) -> bool:
    """Whether an idle connection's socket is open with nothing to read (no error, no
    end of file, no message the server sent unasked)."""
    if conn.closed or conn.broken:
        return False
    try:
        fd = conn.fileno()
        if hasattr(select, "poll"):
            poller = select.poll()
            poller.register(fd, select.POLLIN | select.POLLPRI)
            return not poller.poll(0)  # POLLERR and POLLHUP are reported whatever is asked
        readable, _, failed = select.select([fd], [], [fd], 0)
    except (OSError, ValueError, psycopg.Error):
        return False
    return not readable and not failed


async def _roll_back(conn: Conn) -> None:
    """End a transaction a failed pipeline left open (a broken connection is left to the
    pool, which replaces it)."""
    if conn.info.transaction_status in (TransactionStatus.INTRANS, TransactionStatus.INERROR):
        try:
            await conn.execute("rollback")
        except psycopg.Error:
            log.warning("rolling back after a failed pipeline failed", exc_info=True)
