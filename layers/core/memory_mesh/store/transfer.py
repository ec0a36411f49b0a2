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
from memory_mesh.store.messages import RESUME_AFTER


@dataclass(frozen=True)
class ExportKey:
    """Where a page ended: the conversation, and its last message (None: none left)."""

    conversation_at: datetime
    conversation_id: UUID
    message_at: datetime | None
    message_id: UUID | None


_MESSAGE_ROW = """m.id as m_id, m.role, m.content, m.metadata as m_metadata, m.importance,
       m.importance_explicit, m.created_at as m_created_at, m.archived, m.archived_at"""
_ROW = f"""c.id as c_id, c.external_id as c_external_id, c.title as c_title,
       c.metadata as c_metadata, c.created_at as c_created_at, c.updated_at as c_updated_at,
       {_MESSAGE_ROW}"""

_MESSAGES = """select m.id, m.seq, m.role, m.content, m.metadata, m.importance,
       m.importance_explicit, m.created_at, m.archived, m.archived_at
    from messages m
    where m.conversation_id = {conversation} and m.tenant_id = %(tenant)s
      and (%(archived)s or not m.archived) {resume}
    order by m.created_at, m.seq
    limit %(limit)s"""


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

    A page resumed inside a conversation first reads that conversation's rest of messages
    on its own (:func:`_rest_of_conversation`), then the conversations after it. In a
    transaction that walks indexes in order (``Database.tenant(in_order=True)``) the
    statements read conversations by (tenant, created_at, id) and each one's messages by
    (conversation_id, created_at, seq) and stop at the page, so a page costs its own rows,
    never a sort of the conversations after it.
    """
    params: dict[str, Any] = {
        "tenant": tenant_id,
        "limit": limit,
        "archived": include_archived,
        "conversation": conversation_id,
    }
    rows: list[dict[str, Any]] = []
    if after is not None and after.message_id is not None:
        rows = await _rest_of_conversation(conn, after, params)
        if len(rows) >= limit:
            return rows
        params["limit"] = limit - len(rows)
    if conversation_id is not None and after is not None:
        return rows  # one conversation's export: nothing comes after its own messages
    conversation_filter = sql.SQL("")
    if conversation_id is not None:
        conversation_filter = sql.SQL("and c.id = %(conversation)s")
    resume = sql.SQL("")
    if after is not None:
        params.update(after_c_at=after.conversation_at, after_c=after.conversation_id)
        resume = sql.SQL("and (c.created_at, c.id) > (%(after_c_at)s, %(after_c)s)")
    statement = sql.SQL(
        """
        select {row}
        from conversations c
        left join lateral ({messages}) m on true
        where c.tenant_id = %(tenant)s {conversation_filter} {resume}
        order by c.created_at, c.id, m.created_at, m.seq
        limit %(limit)s
        """
    ).format(
        row=sql.SQL(_ROW),
        messages=sql.SQL(_MESSAGES.format(conversation="c.id", resume="")),
        conversation_filter=conversation_filter,
        resume=resume,
    )
    cur = await conn.execute(statement, params)
    return rows + [dict(row) for row in await cur.fetchall()]


async def _rest_of_conversation(
    conn: Conn, after: ExportKey, params: dict[str, Any]
) -> list[dict[str, Any]]:
    """The messages after ``after``'s in its conversation, as export rows whose only
    conversation columns are the key's (``c_id``, ``c_created_at``): that conversation's
    own line went out with the page the key ends, so its row is not read again.

    Its own statement, with the conversation a constant: the planner then knows how many
    rows that conversation holds and seeks on (conversation_id, created_at, seq) from the
    cursor (:data:`RESUME_AFTER`), as the listing does. Bound through a lateral join
    instead, the conversation is a join key costed at the tenant's average conversation,
    and a CI run read a long conversation's whole rest by bitmap and sorted it. Joined to
    its conversation's row, a CI run found that row through the tenant's index instead of
    the primary key (the tenant grown since the table's last ANALYZE): reading all the
    tenant's conversations, for every page."""
    statement = sql.SQL(
        """
        select %(after_id_c)s::uuid as c_id, %(after_c_at)s::timestamptz as c_created_at,
               {row}
        from ({messages}) m
        order by m.created_at, m.seq
        """
    ).format(
        row=sql.SQL(_MESSAGE_ROW),
        messages=sql.SQL(
            _MESSAGES.format(conversation="%(after_id_c)s", resume="and " + RESUME_AFTER)
        ),
    )
    cur = await conn.execute(
        statement,
        {
            **params,
            "after_id_c": after.conversation_id,
            "after_c_at": after.conversation_at,
            "after_at": after.message_at,
            "after_id": after.message_id,
        },
    )
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
