"""Connection pool and transactions. Every tenant-scoped unit of work runs in
:meth:`Database.tenant` so the tenant of the transaction is known to PostgreSQL
(``memory_mesh.tenant_id``), which the row-level security policies key on.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import psycopg
from pgvector.psycopg import register_vector_async
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool

from memory_mesh.errors import ServiceUnavailable
from memory_mesh.observability.xray import subsegment

Conn = psycopg.AsyncConnection[dict[str, Any]]


class Database:
    """A pool of connections with pgvector types registered on each."""

    def __init__(
        self,
        url: str,
        *,
        min_size: int,
        max_size: int,
        statement_timeout_ms: int,
        pool_timeout: float = 10.0,
    ):
        self.url = url
        self._pool: AsyncConnectionPool[Conn] = AsyncConnectionPool(
            url,
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
            connection_class=psycopg.AsyncConnection,
        )

    @staticmethod
    async def _configure(conn: Conn) -> None:
        await conn.set_autocommit(True)
        await register_vector_async(conn)
        # row-level security applies to this role (see migration 0002)
        await conn.execute("set role memory_mesh_app")

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
    async def tenant(self, tenant_id: str) -> AsyncIterator[Conn]:
        """A transaction bound to ``tenant_id``: committed on exit, rolled back on error."""
        async with self.connection() as conn, conn.transaction():
            await conn.execute("select set_config('memory_mesh.tenant_id', %s, true)", [tenant_id])
            yield conn

    @asynccontextmanager
    async def system(self) -> AsyncIterator[Conn]:
        """A transaction for cross-tenant system work (the embedding worker, auth lookups)."""
        async with self.connection() as conn, conn.transaction():
            await conn.execute("set local role memory_mesh_system")
            yield conn

    async def ping(self) -> None:
        async with self.connection() as conn:
            await conn.execute("select 1")
