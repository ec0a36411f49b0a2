"""Repository of idempotency keys (migration 0004): claim a key, record its answer,
release it, forget expired keys. Every function runs inside a tenant transaction
(row-level security), except :func:`delete_expired` across tenants (the retention sweep,
as the system role)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from psycopg.types.json import Jsonb

from memory_mesh.store.database import Conn


@dataclass(frozen=True)
class StoredKey:
    """A key already held: its request hash and, once finished, the answer."""

    request_hash: str
    status_code: int | None
    response: Any
    locked: bool  # still running (or its process died less than a lock period ago)


async def claim(
    conn: Conn,
    *,
    tenant_id: str,
    key: str,
    request_hash: str,
    lock_seconds: float,
    ttl_seconds: float,
) -> StoredKey | None:
    """Take ``key`` for a new request (None), or return the row that already holds it.

    An expired row is forgotten first; a running row whose lock ran out is taken over."""
    await delete_expired(conn, tenant_id=tenant_id)
    cur = await conn.execute(
        """
        insert into idempotency_keys (tenant_id, key, request_hash, locked_until, expires_at)
        values (%(tenant)s, %(key)s, %(hash)s, now() + make_interval(secs => %(lock)s),
                now() + make_interval(secs => %(ttl)s))
        on conflict (tenant_id, key) do update
            set locked_until = excluded.locked_until, expires_at = excluded.expires_at
            where idempotency_keys.status_code is null
              and idempotency_keys.locked_until < now()
              and idempotency_keys.request_hash = excluded.request_hash
        returning key
        """,
        {
            "tenant": tenant_id,
            "key": key,
            "hash": request_hash,
            "lock": lock_seconds,
            "ttl": ttl_seconds,
        },
    )
    if await cur.fetchone() is not None:
        return None
    cur = await conn.execute(
        "select request_hash, status_code, response, locked_until > now() as locked"
        " from idempotency_keys where tenant_id = %s and key = %s",
        [tenant_id, key],
    )
    row = await cur.fetchone()
    assert row is not None  # held: the insert above conflicted with it
    return StoredKey(row["request_hash"], row["status_code"], row["response"], row["locked"])


async def finish(conn: Conn, *, tenant_id: str, key: str, status_code: int, response: Any) -> None:
    """Record the answer of the request holding ``key``."""
    await conn.execute(
        "update idempotency_keys set status_code = %s, response = %s"
        " where tenant_id = %s and key = %s",
        [status_code, Jsonb(response), tenant_id, key],
    )


async def release(conn: Conn, *, tenant_id: str, key: str) -> None:
    """Forget a running key (its request failed and stored nothing to replay)."""
    await conn.execute(
        "delete from idempotency_keys where tenant_id = %s and key = %s and status_code is null",
        [tenant_id, key],
    )


async def delete_expired(conn: Conn, *, tenant_id: str | None = None, limit: int = 10_000) -> int:
    """Forget at most ``limit`` keys past their expiry (THE expiry rule): of one tenant
    (when a key of it is claimed), or of every tenant (``tenant_id`` None: the retention
    sweep, so that a tenant that stopped sending keys does not keep them forever)."""
    one_tenant = "and tenant_id = %(tenant)s" if tenant_id is not None else ""
    cur = await conn.execute(
        f"""
        delete from idempotency_keys where (tenant_id, key) in (
            select tenant_id, key from idempotency_keys
            where expires_at < now() {one_tenant}
            limit %(limit)s)
        """,
        {"tenant": tenant_id, "limit": limit},
    )
    return cur.rowcount
