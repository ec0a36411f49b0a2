"""Repository of conversations. Every function takes the tenant explicitly."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from psycopg.types.json import Jsonb

from memory_mesh.domain.models import Conversation
from memory_mesh.store.database import Conn
from memory_mesh.store.rows import CONVERSATION_COLUMNS, conversation_from_row


async def insert(
    conn: Conn,
    *,
    tenant_id: str,
    conversation_id: UUID,
    external_id: str | None,
    title: str | None,
    metadata: dict[str, Any],
) -> Conversation | None:
    """Insert; return the new conversation, or None when its id or its external id is
    held already (see :func:`find`: by this tenant, or the id by another one)."""
    cur = await conn.execute(
        f"""
        insert into conversations as c (id, tenant_id, external_id, title, metadata)
        values (%(id)s, %(tenant)s, %(external)s, %(title)s, %(metadata)s)
        on conflict do nothing
        returning {CONVERSATION_COLUMNS}
        """,
        {
            "id": conversation_id,
            "tenant": tenant_id,
            "external": external_id,
            "title": title,
            "metadata": Jsonb(metadata),
        },
    )
    row = await cur.fetchone()
    return conversation_from_row(row) if row else None


async def find(
    conn: Conn, *, tenant_id: str, ids: list[UUID], external_ids: list[str]
) -> list[Conversation]:
    """The tenant's conversations with any of ``ids`` or any of ``external_ids``."""
    cur = await conn.execute(
        f"""select {CONVERSATION_COLUMNS} from conversations c
            where c.tenant_id = %(tenant)s
              and (c.id = any(%(ids)s) or c.external_id = any(%(external)s))""",
        {"tenant": tenant_id, "ids": ids, "external": external_ids},
    )
    return [conversation_from_row(row) for row in await cur.fetchall()]


async def create_external(conn: Conn, *, tenant_id: str, external_ids: list[str]) -> int:
    """Create a conversation for each external id the tenant does not have yet; return
    how many were created. Race-safe: of concurrent creators of one external id, one
    inserts and the others skip (the unique index on (tenant_id, external_id))."""
    cur = await conn.execute(
        """
        insert into conversations (id, tenant_id, external_id)
        select gen_random_uuid(), %(tenant)s, e from unnest(%(external)s::text[]) as e
        on conflict (tenant_id, external_id) do nothing
        """,
        {"tenant": tenant_id, "external": external_ids},
    )
    return cur.rowcount


async def get(conn: Conn, *, tenant_id: str, conversation_id: UUID) -> Conversation | None:
    cur = await conn.execute(
        f"select {CONVERSATION_COLUMNS} from conversations c where c.id = %s and c.tenant_id = %s",
        [conversation_id, tenant_id],
    )
    row = await cur.fetchone()
    return conversation_from_row(row) if row else None


async def list_page(
    conn: Conn,
    *,
    tenant_id: str,
    limit: int,
    after: tuple[datetime, UUID] | None,
    offset: int = 0,
) -> list[Conversation]:
    """Newest first; ``after`` is the (created_at, id) of the last row of the previous page
    (numbered pages skip ``offset`` rows instead)."""
    if after is None:
        cur = await conn.execute(
            f"""select {CONVERSATION_COLUMNS} from conversations c where c.tenant_id = %s
                order by c.created_at desc, c.id desc limit %s offset %s""",
            [tenant_id, limit, offset],
        )
    else:
        cur = await conn.execute(
            f"""select {CONVERSATION_COLUMNS} from conversations c
                where c.tenant_id = %s and (c.created_at, c.id) < (%s, %s)
                order by c.created_at desc, c.id desc limit %s""",
            [tenant_id, after[0], after[1], limit],
        )
    return [conversation_from_row(row) for row in await cur.fetchall()]


async def update(
    conn: Conn,
    *,
    tenant_id: str,
    conversation_id: UUID,
    title: str | None,
    set_title: bool,
    metadata: dict[str, Any] | None,
) -> Conversation | None:
    cur = await conn.execute(
        f"""
        update conversations c set
            title = case when %(set_title)s then %(title)s else c.title end,
            metadata = coalesce(%(metadata)s, c.metadata),
            updated_at = now()
        where c.id = %(id)s and c.tenant_id = %(tenant)s
        returning {CONVERSATION_COLUMNS}
        """,
        {
            "set_title": set_title,
            "title": title,
            "metadata": Jsonb(metadata) if metadata is not None else None,
            "id": conversation_id,
            "tenant": tenant_id,
        },
    )
    row = await cur.fetchone()
    return conversation_from_row(row) if row else None


async def delete(conn: Conn, *, tenant_id: str, conversation_id: UUID) -> int | None:
    """Delete the conversation and its messages; return how many messages went, or None."""
    cur = await conn.execute(
        """
        with gone as (
            delete from messages where conversation_id = %(id)s and tenant_id = %(tenant)s
            returning 1
        ), conv as (
            delete from conversations where id = %(id)s and tenant_id = %(tenant)s returning 1
        )
        select (select count(*) from conv) as conversations, (select count(*) from gone) as n
        """,
        {"id": conversation_id, "tenant": tenant_id},
    )
    row = await cur.fetchone()
    assert row is not None
    return int(row["n"]) if row["conversations"] else None


async def stats(conn: Conn, *, tenant_id: str, conversation_id: UUID) -> dict[str, Any]:
    """Counts by role, first/last message time, mean importance, embedding coverage."""
    cur = await conn.execute(
        """
        select
            count(*) as message_count,
            count(*) filter (where archived) as archived_count,
            min(created_at) as first_message_at,
            max(created_at) as last_message_at,
            avg(importance)::float8 as mean_importance,
            count(*) filter (where embedding_status = 'ready') as embedded_count,
            count(*) filter (where embedding_status = 'pending') as pending_count,
            count(*) filter (where embedding_status = 'failed') as failed_count,
            (select coalesce(jsonb_object_agg(role, n), '{}'::jsonb) from (
                select role, count(*) as n from messages
                where conversation_id = %(id)s and tenant_id = %(tenant)s group by role
            ) per_role) as by_role
        from messages
        where conversation_id = %(id)s and tenant_id = %(tenant)s
        """,
        {"id": conversation_id, "tenant": tenant_id},
    )
    row = await cur.fetchone()
    assert row is not None
    return dict(row)
