"""Export and import SQL: keyset pages of a tenant's conversations with their messages,
and the set-based writes an import adds to the normal message insert."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from psycopg import sql
from psycopg.types.json import Jsonb

from memory_mesh.store.database import Conn
from memory_mesh.store.messages import SEQ_OF


@dataclass(frozen=True)
class ExportKey:
    """Where a page ended: the conversation, and its last message (None: none left)."""

    conversation_at: datetime
    conversation_id: UUID
    message_at: datetime | None
    message_id: UUID | None


async def export_page(
    conn: Conn,
    *,
    tenant_id: str,
    conversation_id: UUID | None,
    after: ExportKey | None,
    limit: int,
    include_archived: bool,
) -> list[dict[str, Any]]:
    """The next ``limit`` rows of (conversation, message) in export order: conversations by
    (created_at, id), each followed by its messages in reading order (created_at, then
    arrival: seq, as the listing's); a conversation without (further) messages gives one
    row whose message columns are null.

    One statement per page: conversations are walked through their (tenant, created_at)
    index and each one's messages through (conversation_id, created_at, seq), so a page costs
    its own rows, never a sort of the whole tenant.
    """
    params: dict[str, Any] = {
        "tenant": tenant_id,
        "limit": limit,
        "archived": include_archived,
    }
    conversation_filter: sql.Composable = sql.SQL("")
    if conversation_id is not None:
        conversation_filter = sql.SQL("and c.id = %(conversation)s")
        params["conversation"] = conversation_id
    resume: sql.Composable = sql.SQL("")
    message_resume: sql.Composable = sql.SQL("")
    if after is not None:
        params.update(after_c_at=after.conversation_at, after_c=after.conversation_id)
        if after.message_id is None:  # that conversation is done
            resume = sql.SQL("and (c.created_at, c.id) > (%(after_c_at)s, %(after_c)s)")
        else:
            resume = sql.SQL("and (c.created_at, c.id) >= (%(after_c_at)s, %(after_c)s)")
            # one row comparison whose bound depends on the conversation: an index condition
            # on (conversation_id, created_at, seq), so resuming inside a long conversation
            # seeks instead of re-reading it from the start
            message_resume = sql.SQL(
                """and (m.created_at, m.seq) > (
                    case when c.id = %(after_c)s then %(after_m_at)s::timestamptz
                         else '-infinity'::timestamptz end,
                    case when c.id = %(after_c)s then {seq} else 0 end)"""
            ).format(seq=sql.SQL(SEQ_OF.format(after_id="%(after_m)s", after_at="%(after_m_at)s")))
            params.update(after_m_at=after.message_at, after_m=after.message_id)
    statement = sql.SQL(
        """
        select c.id as c_id, c.external_id as c_external_id, c.title as c_title,
               c.metadata as c_metadata, c.created_at as c_created_at, c.updated_at as c_updated_at,
               m.id as m_id, m.role, m.content, m.metadata as m_metadata, m.importance,
               m.importance_explicit, m.created_at as m_created_at, m.archived, m.archived_at
        from conversations c
        left join lateral (
            select m.id, m.seq, m.role, m.content, m.metadata, m.importance,
                   m.importance_explicit, m.created_at, m.archived, m.archived_at
            from messages m
            where m.conversation_id = c.id and m.tenant_id = %(tenant)s
              and (%(archived)s or not m.archived) {message_resume}
            order by m.created_at, m.seq
            limit %(limit)s
        ) m on true
        where c.tenant_id = %(tenant)s {conversation_filter} {resume}
        order by c.created_at, c.id, m.created_at, m.seq
        limit %(limit)s
        """
    ).format(message_resume=message_resume, conversation_filter=conversation_filter, resume=resume)
    cur = await conn.execute(statement, params)
    return [dict(row) for row in await cur.fetchall()]


async def insert_conversations(
    conn: Conn, *, tenant_id: str, rows: list[dict[str, Any]]
) -> dict[UUID, tuple[str, UUID | None]]:
    """Insert imported conversations in one statement (ids as given, times kept).

    Return each id's (outcome, conversation the line's messages go to): ``created`` or
    ``existing`` (this tenant holds the id already: a re-import) with the id itself,
    ``merged`` (the tenant holds the line's external id under another id) with that
    conversation's id, or ``taken`` (another tenant holds the id) with None.
    """
    cur = await conn.execute(
        """
        with x as (
            select * from jsonb_to_recordset(%(rows)s) as x(
                id uuid, external_id text, title text, metadata jsonb,
                created_at timestamptz, updated_at timestamptz)
        ), ins as (
            insert into conversations (id, tenant_id, external_id, title, metadata,
                                       created_at, updated_at)
            select id, %(tenant)s, external_id, title, metadata, coalesce(created_at, now()),
                   coalesce(updated_at, created_at, now())
            from x
            on conflict do nothing
            returning id
        )
        select x.id, o.owner,
               case when x.id in (select id from ins) then 'created'
                    when exists (select 1 from conversations c
                                 where c.id = x.id and c.tenant_id = %(tenant)s) then 'existing'
                    when o.owner is not null then 'merged'
                    else 'taken' end as outcome
        from x
        left join lateral (
            select c.id as owner from conversations c
            where c.tenant_id = %(tenant)s and c.external_id = x.external_id
        ) o on true
        """,
        {"rows": Jsonb(rows), "tenant": tenant_id},
    )
    result: dict[UUID, tuple[str, UUID | None]] = {}
    for row in await cur.fetchall():
        outcome = row["outcome"]
        target = row["owner"] if outcome == "merged" else row["id"]
        result[row["id"]] = (outcome, None if outcome == "taken" else target)
    return result


async def restore_message_state(conn: Conn, *, tenant_id: str, rows: list[dict[str, Any]]) -> int:
    """Give newly imported messages the state the normal insert does not take: whether
    the importance was explicit, and the archive flag with its original time."""
    cur = await conn.execute(
        """
        update messages m set
            importance_explicit = x.importance_explicit,
            archived = x.archived,
            archived_at = case when x.archived then x.archived_at end
        from jsonb_to_recordset(%(rows)s) as x(
            id uuid, importance_explicit boolean, archived boolean, archived_at timestamptz)
        where m.id = x.id and m.tenant_id = %(tenant)s
        """,
        {"rows": Jsonb(rows), "tenant": tenant_id},
    )
    return cur.rowcount
