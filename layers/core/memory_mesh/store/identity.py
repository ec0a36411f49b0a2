"""Repository of users, tenants, memberships, API keys and refresh tokens.

Called in ``Database.system()`` transactions: authentication happens before a tenant is
known, and these tables are not tenant data (no row-level security on them).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from memory_mesh.store.database import Conn


async def insert_user(
    conn: Conn,
    *,
    user_id: UUID,
    email: str,
    password_hash: str,
    is_superuser: bool,
    username: str | None = None,
) -> bool:
    """Insert; False if the email or the username is taken (case-insensitive)."""
    cur = await conn.execute(
        """insert into users (id, email, password_hash, is_superuser, username)
           values (%s, %s, %s, %s, %s) on conflict do nothing returning id""",
        [user_id, email, password_hash, is_superuser, username],
    )
    return await cur.fetchone() is not None


async def user_by_email(conn: Conn, email: str) -> dict[str, Any] | None:
    cur = await conn.execute(
        "select * from users where lower(email) = lower(%s) and disabled_at is null", [email]
    )
    return await cur.fetchone()


async def user_by_username(conn: Conn, username: str) -> dict[str, Any] | None:
    cur = await conn.execute(
        "select * from users where lower(username) = lower(%s) and disabled_at is null",
        [username],
    )
    return await cur.fetchone()


async def user_by_id(conn: Conn, user_id: UUID) -> dict[str, Any] | None:
    cur = await conn.execute("select * from users where id = %s and disabled_at is null", [user_id])
    return await cur.fetchone()


async def set_password_hash(conn: Conn, user_id: UUID, password_hash: str) -> None:
    await conn.execute(
        "update users set password_hash = %s where id = %s", [password_hash, user_id]
    )


async def insert_tenant(conn: Conn, *, tenant_id: str, name: str) -> bool:
    cur = await conn.execute(
        "insert into tenants (id, name) values (%s, %s) on conflict do nothing returning id",
        [tenant_id, name],
    )
    return await cur.fetchone() is not None


async def upsert_member(conn: Conn, *, tenant_id: str, user_id: UUID, role: str) -> None:
    await conn.execute(
        """insert into tenant_members (tenant_id, user_id, role) values (%s, %s, %s)
           on conflict (tenant_id, user_id) do update set role = excluded.role""",
        [tenant_id, user_id, role],
    )


async def memberships(conn: Conn, user_id: UUID) -> list[dict[str, Any]]:
    cur = await conn.execute(
        """select m.tenant_id, m.role, t.name from tenant_members m
           join tenants t on t.id = m.tenant_id where m.user_id = %s order by m.tenant_id""",
        [user_id],
    )
    return await cur.fetchall()


async def insert_api_key(
    conn: Conn,
    *,
    key_id: UUID,
    tenant_id: str,
    name: str,
    prefix: str,
    key_hash: str,
    scopes: list[str],
    created_by: UUID | None,
    expires_at: datetime | None,
) -> dict[str, Any]:
    cur = await conn.execute(
        """insert into api_keys (id, tenant_id, name, prefix, key_hash, scopes, created_by,
                                 expires_at)
           values (%s, %s, %s, %s, %s, %s, %s, %s) returning *""",
        [key_id, tenant_id, name, prefix, key_hash, scopes, created_by, expires_at],
    )
    row = await cur.fetchone()
    assert row is not None
    return row


async def api_key_by_hash(conn: Conn, key_hash: str) -> dict[str, Any] | None:
    """The live key with this hash, its last-used time touched (at most once a minute)."""
    cur = await conn.execute(
        """update api_keys set last_used_at = now()
           where key_hash = %s and revoked_at is null
             and (expires_at is null or expires_at > now())
             and (last_used_at is null or last_used_at < now() - interval '1 minute')
           returning *""",
        [key_hash],
    )
    row = await cur.fetchone()
    if row is not None:
        return row
    cur = await conn.execute(
        """select * from api_keys where key_hash = %s and revoked_at is null
           and (expires_at is null or expires_at > now())""",
        [key_hash],
    )
    return await cur.fetchone()


async def list_api_keys(conn: Conn, tenant_id: str) -> list[dict[str, Any]]:
    cur = await conn.execute(
        "select * from api_keys where tenant_id = %s order by created_at desc", [tenant_id]
    )
    return await cur.fetchall()


async def api_key(conn: Conn, key_id: UUID) -> dict[str, Any] | None:
    cur = await conn.execute("select * from api_keys where id = %s", [key_id])
    return await cur.fetchone()


async def revoke_api_key(conn: Conn, key_id: UUID) -> None:
    await conn.execute(
        "update api_keys set revoked_at = coalesce(revoked_at, now()) where id = %s", [key_id]
    )


async def insert_refresh_token(
    conn: Conn,
    *,
    token_id: UUID,
    user_id: UUID,
    family_id: UUID,
    token_hash: str,
    expires_at: datetime,
) -> None:
    await conn.execute(
        """insert into refresh_tokens (id, user_id, family_id, token_hash, expires_at)
           values (%s, %s, %s, %s, %s)""",
        [token_id, user_id, family_id, token_hash, expires_at],
    )


async def refresh_token_for_update(conn: Conn, token_hash: str) -> dict[str, Any] | None:
    """The token row, locked: two concurrent uses of one token cannot both succeed."""
    cur = await conn.execute(
        "select * from refresh_tokens where token_hash = %s for update", [token_hash]
    )
    return await cur.fetchone()


async def mark_refresh_token_used(conn: Conn, token_id: UUID) -> None:
    await conn.execute("update refresh_tokens set used_at = now() where id = %s", [token_id])


async def revoke_refresh_family(conn: Conn, family_id: UUID) -> None:
    await conn.execute(
        """update refresh_tokens set revoked_at = coalesce(revoked_at, now())
           where family_id = %s""",
        [family_id],
    )


async def taken_identifiers(conn: Conn, *, email: str, username: str | None) -> set[str]:
    """Which of ``email`` / ``username`` an account (enabled or not) already holds."""
    cur = await conn.execute(
        """select lower(email) = lower(%(e)s) as email,
                  lower(username) = lower(%(u)s) as username
           from users where lower(email) = lower(%(e)s) or lower(username) = lower(%(u)s)""",
        {"e": email, "u": username},
    )
    taken: set[str] = set()
    for row in await cur.fetchall():
        taken.update(name for name in ("email", "username") if row[name])
    return taken
