"""Repository of messages: set-based writes (one statement per batch), reads, and the
embedding-job bookkeeping that lives on the message rows themselves (status, attempts,
next attempt time), so a job can never be lost between a queue and the table.
"""

from __future__ import annotations

from array import array
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from psycopg.types.json import Jsonb

from memory_mesh.domain.models import Message, MessagePatch, NewMessage
from memory_mesh.store.database import Conn
from memory_mesh.store.message_order_locks import rows_in_order
from memory_mesh.store.rows import MESSAGE_COLUMNS_WITH_CONVERSATION as COLUMNS
from memory_mesh.store.rows import message_from_row

if TYPE_CHECKING:  # numpy only in annotations: the message routes never load it
    import numpy as np


def _real(value: float | None) -> float | None:
    """``value`` as the column's ``real`` holds it: a tiny importance (say 1e-200) would
    otherwise fail the cast with an underflow error instead of being stored as 0."""
    return None if value is None else array("f", [value])[0]  # float32, as numpy rounds


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


async def insert_many(
    conn: Conn,
    messages: list[NewMessage],
    *,
    lease_seconds: float,
    context_chars: int = 0,
    embedded: Embedded | None = None,
) -> tuple[list[Message], set[UUID]]:
    """Insert in one statement. Return (rows inserted, ids that already existed for this
    tenant). An id that exists for another tenant is in neither: the caller reports it.

    ``lease_seconds`` > 0 reserves the new rows for the caller's inline embedding; the
    worker takes them only after the lease ends (if the caller died meanwhile).
    ``context_chars`` > 0 stores with each new row the end of its conversation's previous
    message, as :func:`set_context` defines it, in the same INSERT: the previous message
    is the conversation's latest stored one or an earlier row of this batch. Writing it
    afterwards (an UPDATE) wrote every row, its indexes and its postings twice
    (bench/results/postings_cost.md).
    ``embedded``: vectors computed before the INSERT (inline mode), one per message or
    None; a row with one is stored ``ready``, the others ``pending`` as usual.
    """
    payload = [
        {
            "id": str(m.id),
            "tenant_id": m.tenant_id,
            "conversation_id": str(m.conversation_id),
            "role": m.role.value,
            "content": m.content,
            "metadata": m.metadata,
            "importance": _real(m.importance),
            "importance_explicit": m.importance_explicit,
            "created_at": _iso(m.created_at),
            "ord": position,
        }
        for position, m in enumerate(messages)
    ]
    rows = await rows_in_order(
        conn,
        _INSERT,
        {
            "rows": Jsonb(payload),
            "lease": lease_seconds,
            "chars": context_chars,
            **_vector_params(embedded),
        },
        tenant_id=messages[0].tenant_id,
        # with no context to compute, the order of messages is nobody's concern here
        conversations={m.conversation_id for m in messages} if context_chars > 0 else (),
    )
    inserted = [message_from_row(row) for row in rows]
    if context_chars > 0:
        await _mend_contexts(
            conn, rows, complete=len(inserted) == len(messages), chars=context_chars
        )
    if len(inserted) == len(messages):
        return inserted, set()
    got = {m.id for m in inserted}
    missing = [m.id for m in messages if m.id not in got]
    cur = await conn.execute(
        "select id from messages where tenant_id = %s and id = any(%s)",
        [messages[0].tenant_id, missing],
    )
    return inserted, {row["id"] for row in await cur.fetchall()}


# The batch's rows not stored yet (a retried batch's stored ones are skipped here, and
# found by the INSERT's conflict clause if they arrive meanwhile), each with its context:
# the content of the conversation's previous message by (created_at, arrival), which is
# either the latest stored message not after it (every stored row arrived before this
# batch) or an earlier row of the batch (arrival = its place in the batch; the INSERT
# takes the rows in that order, so their ``seq`` follows it).
_INSERT = f"""
    with x as (
        select x.*, coalesce(x.created_at, now()) as at
        -- each row beside its vector, if any (zipped by position)
        from rows from (
            jsonb_to_recordset(%(rows)s) as (
                id uuid, tenant_id text, conversation_id uuid, role text, content text,
                metadata jsonb, importance real, importance_explicit boolean,
                created_at timestamptz, ord integer),
            unnest(%(vectors)s::vector[])
        ) as x(id, tenant_id, conversation_id, role, content, metadata, importance,
               importance_explicit, created_at, ord, embedding)
        where x.id is not null and not exists (select 1 from messages e where e.id = x.id)
    ), prev as (
        -- each row's previous row in the batch, by (time, place in the batch)
        select x.*,
               lag(x.content) over w as batch_content, lag(x.at) over w as batch_at
        from x
        window w as (partition by x.conversation_id order by x.at, x.ord)
    ), ctx as (
        select b.*,
               case when %(chars)s > 0 then right(
                   case when b.batch_at is not null
                             and (s.created_at is null or b.batch_at >= s.created_at)
                        then b.batch_content else s.content end, %(chars)s) end as context,
               coalesce(z.created_at > b.at, false) as precedes_stored
        from prev b
        -- the latest stored message not after it (stored rows all arrived before the batch)
        left join lateral (
            select p.content, p.created_at from messages p
            where %(chars)s > 0 and p.conversation_id = b.conversation_id
              and p.created_at <= b.at
            order by p.created_at desc, p.seq desc
            limit 1) s on true
        -- the conversation's latest stored message (one probe: an EXISTS of a later one
        -- was planned as a scan of the table per row)
        left join lateral (
            select p.created_at from messages p
            where %(chars)s > 0 and p.conversation_id = b.conversation_id
            order by p.created_at desc, p.seq desc
            limit 1) z on true
    ), ins as (
        insert into messages (id, tenant_id, conversation_id, role, content, metadata,
                              importance, importance_explicit, created_at, updated_at,
                              embedding_next_attempt_at, context, embedding,
                              embedding_status, embedding_provider, embedding_model,
                              embedding_dimensions, embedding_attempts, embedded_at)
        select c.id, c.tenant_id, c.conversation_id, c.role, c.content, c.metadata,
               c.importance, c.importance_explicit, c.at, now(),
               now() + make_interval(secs => %(lease)s), c.context, c.embedding,
               case when c.embedding is null then 'pending' else 'ready' end,
               case when c.embedding is not null then %(provider)s::text end,
               case when c.embedding is not null then %(model)s::text end,
               vector_dims(c.embedding),
               case when c.embedding is null then 0 else 1 end,
               case when c.embedding is not null then now() end
        from ctx c
        order by c.ord
        on conflict (id) do nothing
        returning *
    )
    select {COLUMNS},
           m.id = any(array(select id from ctx where precedes_stored)) as precedes_stored
    from ins m
"""


@dataclass(frozen=True)
class Embedded:
    """Vectors of a batch's messages computed before their INSERT, by ``provider`` /
    ``model``: one per message, None where there is none (embedded later, as usual)."""

    vectors: list[Any]
    provider: str
    model: str


def _vector_params(embedded: Embedded | None) -> dict[str, Any]:
    """The statement parameters of vectors embedded first (all None without them)."""
    if embedded is None:
        return {"vectors": None, "provider": None, "model": None}
    return {"vectors": embedded.vectors, "provider": embedded.provider, "model": embedded.model}


async def set_context(
    conn: Conn, *, ids: list[UUID] | None, chars: int, tenant_id: str | None = None
) -> int:
    """Store as each message's ``context`` the last ``chars`` characters of the message
    before it in its conversation (by ``created_at``, then arrival); ``chars`` 0 clears it.
    ``ids`` None: every message (of ``tenant_id``), for a change of the setting. Returns
    how many contexts changed."""
    cur = await conn.execute(
        _SET_CONTEXT.format(
            rows="(%(ids)s::uuid[] is null or m2.id = any(%(ids)s::uuid[]))"
            " and (%(tenant)s::text is null or m2.tenant_id = %(tenant)s)"
        ),
        {"ids": ids, "chars": chars, "tenant": tenant_id},
    )
    return cur.rowcount


async def _mend_contexts(
    conn: Conn, rows: list[dict[str, Any]], *, complete: bool, chars: int
) -> None:
    """What a batch's INSERT cannot know of: a stored message after a new row (a batch
    dated before messages already stored) now follows that row, so its context is taken
    again; and when a row of the batch was not stored (its id taken meanwhile, or by
    another tenant) a later row may have taken its context from it, so theirs is too.
    Neither happens to a conversation written in order: no statement then."""
    if not complete:
        await set_context(conn, ids=[row["id"] for row in rows], chars=chars)
    earlier = [row["id"] for row in rows if row["precedes_stored"]]
    if earlier:
        await set_successor_contexts(conn, ids=earlier, chars=chars)


async def set_successor_contexts(conn: Conn, *, ids: list[UUID], chars: int) -> int:
    """Take again the context of the message right after each of ``ids`` in its
    conversation: after ``ids`` were stored before it, or had their content changed."""
    cur = await conn.execute(
        _SET_CONTEXT.format(
            rows="m2.id in (select nx.id from messages i cross join lateral ("
            " select n.id from messages n where n.conversation_id = i.conversation_id"
            " and (n.created_at, n.seq) > (i.created_at, i.seq)"
            " order by n.created_at, n.seq limit 1) nx"
            " where i.id = any(%(ids)s::uuid[]))"
        ),
        {"ids": ids, "chars": chars},
    )
    return cur.rowcount


# the definition of a message's context, for the messages ``{rows}`` selects (as m2)
_SET_CONTEXT = """
    update messages m set context = p.context
    from (
        select m2.id,
               case when %(chars)s > 0 then right(
                   (select p.content from messages p
                    where p.conversation_id = m2.conversation_id
                      and (p.created_at, p.seq) < (m2.created_at, m2.seq)
                    order by p.created_at desc, p.seq desc
                    limit 1), %(chars)s) end as context
        from messages m2
        where {rows}
    ) p
    where m.id = p.id and m.context is distinct from p.context
"""


async def get_many(conn: Conn, *, tenant_id: str, ids: list[UUID]) -> list[Message]:
    cur = await conn.execute(
        f"select {COLUMNS} from messages m where m.tenant_id = %s and m.id = any(%s)",
        [tenant_id, ids],
    )
    return [message_from_row(row) for row in await cur.fetchall()]


async def get_many_of_any_tenant(conn: Conn, ids: list[UUID]) -> list[Message]:
    """System work only (events after embedding): rows of any tenant by id."""
    cur = await conn.execute(f"select {COLUMNS} from messages m where m.id = any(%s)", [ids])
    return [message_from_row(row) for row in await cur.fetchall()]


async def get(conn: Conn, *, tenant_id: str, message_id: UUID) -> Message | None:
    found = await get_many(conn, tenant_id=tenant_id, ids=[message_id])
    return found[0] if found else None


async def update_many(
    conn: Conn,
    *,
    tenant_id: str,
    patches: list[MessagePatch],
    lease_seconds: float,
    context_chars: int = 0,
    embedded: Embedded | None = None,
) -> tuple[list[Message], set[UUID]]:
    """Apply patches in one statement; return the updated rows (missing ids are absent)
    and the ids of those whose content changed.

    Changed content bumps ``content_version`` and resets the embedding to pending, so the
    message is re-embedded and a late vector of the old text is discarded; with a vector
    of the new content in ``embedded`` (one per patch, or None) it is stored ``ready`` at
    once instead. ``context_chars`` > 0: the message after one whose content changed
    takes its context again.
    """
    payload = [
        {
            "id": str(p.id),
            "content": p.content,
            "role": p.role,
            "metadata": p.metadata,
            "importance": _real(p.importance),
            "archived": p.archived,
        }
        for p in patches
    ]
    rows = await rows_in_order(
        conn,
        f"""
        with patch as (
            select x.*, (x.content is not null and x.content <> cur.content)::int as flag
            -- each patch beside the vector of its new content, if any (zipped by position)
            from rows from (
                jsonb_to_recordset(%(rows)s) as (
                    id uuid, content text, role text, metadata jsonb, importance real,
                    archived boolean),
                unnest(%(vectors)s::vector[])
            ) as x(id, content, role, metadata, importance, archived, vector)
            join messages cur on cur.id = x.id and cur.tenant_id = %(tenant)s
        ), upd as (
            update messages m set
                content = coalesce(p.content, m.content),
                role = coalesce(p.role, m.role),
                metadata = coalesce(p.metadata, m.metadata),
                importance = coalesce(p.importance, m.importance),
                importance_explicit = m.importance_explicit or p.importance is not null,
                archived = coalesce(p.archived, m.archived),
                updated_at = now(),
                content_version = m.content_version + p.flag,
                embedding = case when p.flag = 1 then p.vector else m.embedding end,
                embedding_status = case when p.flag = 0 then m.embedding_status
                                   when p.vector is null then 'pending' else 'ready' end,
                embedding_attempts = case when p.flag = 0 then m.embedding_attempts
                                     when p.vector is null then 0 else 1 end,
                embedding_error = case when p.flag = 1 then null else m.embedding_error end,
                embedding_next_attempt_at = case when p.flag = 1
                    then now() + make_interval(secs => %(lease)s)
                    else m.embedding_next_attempt_at end,
                embedding_provider = case when p.flag = 1 and p.vector is not null
                    then %(provider)s::text else m.embedding_provider end,
                embedding_model = case when p.flag = 1 and p.vector is not null
                    then %(model)s::text else m.embedding_model end,
                embedding_dimensions = case when p.flag = 1 and p.vector is not null
                    then vector_dims(p.vector) else m.embedding_dimensions end,
                embedded_at = case when p.flag = 1 and p.vector is not null
                    then now() else m.embedded_at end
            from patch p
            where m.id = p.id and m.tenant_id = %(tenant)s
            returning m.*, p.flag
        )
        select {COLUMNS}, m.flag from upd m
        """,
        {
            "rows": Jsonb(payload),
            "tenant": tenant_id,
            "lease": lease_seconds,
            **_vector_params(embedded),
        },
        tenant_id=tenant_id,
        # the conversations of the messages whose content may change
        messages=[p.id for p in patches if p.content is not None] if context_chars > 0 else (),
    )
    changed = {row["id"] for row in rows if row["flag"]}
    if changed and context_chars > 0:
        await set_successor_contexts(conn, ids=list(changed), chars=context_chars)
    return [message_from_row(row) for row in rows], changed


async def delete_many(
    conn: Conn, *, tenant_id: str, ids: list[UUID], context_chars: int = 0
) -> set[UUID]:
    """Delete in one statement; return the ids that were deleted. ``context_chars`` > 0:
    the message after each deleted one takes its context again, so no deleted words stay
    behind in it (where keyword search would still find them)."""
    rows = await rows_in_order(
        conn,
        f"""
        with gone as (
            delete from messages where tenant_id = %(tenant)s and id = any(%(ids)s)
            returning id, conversation_id, created_at, seq
        ), after as (
            select g.id, {NEXT.format(row="g") if context_chars > 0 else "null::uuid"} as next
            from gone g
        )
        select a.id, case when not exists (select 1 from gone d where d.id = a.next)
                          then a.next end as successor
        from after a
        """,
        {"tenant": tenant_id, "ids": ids},
        tenant_id=tenant_id,
        messages=ids if context_chars > 0 else (),
    )
    await mend_after_delete(conn, [row["successor"] for row in rows], chars=context_chars)
    return {row["id"] for row in rows}


async def mend_after_delete(conn: Conn, successors: list[UUID | None], *, chars: int) -> None:
    """Take again the context of the messages that followed deleted ones (:data:`NEXT`)."""
    found = list({s for s in successors if s is not None})
    if found and chars > 0:
        await set_context(conn, ids=found, chars=chars)


async def mend_after_removal(
    conn: Conn, *, tenant_id: str, removed: list[tuple[UUID, datetime, int]], chars: int
) -> int:
    """After a delete that did not hold its conversations' locks (a retention batch) has
    committed: the message now after each removed position (conversation, created_at,
    seq) takes its context again, under those conversations' locks
    (store/message_order_locks.py). A write beside the batch saw its rows still there and
    may have taken a deleted message's words; it has committed by now, or it waits and
    then sees them gone. Taking the locks only now, after the batch's row locks are
    released, keeps one order with every writer (locks, then rows): no deadlock. Returns
    how many contexts changed (0 unless a write ran beside the batch)."""
    if not removed or chars <= 0:
        return 0
    rows = await rows_in_order(
        conn,
        f"""
        select distinct {NEXT.format(row="r")} as next
        from unnest(%(conversations)s::uuid[], %(at)s::timestamptz[], %(seq)s::bigint[])
            as r(conversation_id, created_at, seq)
        """,
        {
            "conversations": [c for c, _, _ in removed],
            "at": [at for _, at, _ in removed],
            "seq": [seq for _, _, seq in removed],
        },
        tenant_id=tenant_id,
        conversations={c for c, _, _ in removed},
    )
    found = [row["next"] for row in rows if row["next"] is not None]
    return await set_context(conn, ids=found, chars=chars) if found else 0


# the message right after {row} (a row with id, conversation_id, created_at, seq) in its
# conversation. After a DELETE, the statement still sees the deleted rows: a deleted
# message's successor is its next row unless that row was deleted too (then the last of
# a run of deleted rows has it), one index probe per deleted row
NEXT = """(
    select n.id from messages n
    where n.conversation_id = {row}.conversation_id
      and (n.created_at, n.seq) > ({row}.created_at, {row}.seq)
    order by n.created_at, n.seq
    limit 1)"""


# a page resumes after the message it ended with (``after_id``, ``after_at``): reading
# order is (created_at, seq), but cursors and export keys carry the id (seq counts every
# tenant's messages, so it stays inside), turned into its seq by one probe. Uncorrelated
# (an InitPlan), so the comparison stays an index condition on (conversation_id,
# created_at, seq): a coalesce around the subquery, not inside it, made it a filter after
# a sort of the whole conversation (EXPLAIN, PostgreSQL 18). A message deleted meanwhile
# gives 0 (seq starts at 1): the page resumes at the start of its created_at, so its ties
# come again rather than be skipped
RESUME_AFTER = """(m.created_at, m.seq) > (%(after_at)s::timestamptz,
    (select coalesce(max(p.seq), 0) from messages p
     where p.id = %(after_id)s::uuid and p.created_at = %(after_at)s::timestamptz))"""


async def list_conversation_page(
    conn: Conn,
    *,
    tenant_id: str,
    conversation_id: UUID,
    limit: int,
    after: tuple[datetime, UUID] | None,
    include_archived: bool,
    offset: int = 0,
) -> list[Message]:
    """Oldest first (reading order: ``created_at``, then arrival, as the context's
    definition); ``after`` is the (created_at, id) of the last row (numbered pages skip
    ``offset`` rows instead), resumed at that row's place (:data:`RESUME_AFTER`)."""
    cur = await conn.execute(
        f"""
        select {COLUMNS} from messages m
        where m.tenant_id = %(tenant)s and m.conversation_id = %(conv)s
          and (%(archived)s or not m.archived)
          and (%(after_at)s::timestamptz is null or {RESUME_AFTER})
        order by m.created_at, m.seq
        limit %(limit)s offset %(offset)s
        """,
        {
            "tenant": tenant_id,
            "conv": conversation_id,
            "archived": include_archived,
            "after_at": after[0] if after else None,
            "after_id": after[1] if after else None,
            "limit": limit,
            "offset": offset,
        },
    )
    return [message_from_row(row) for row in await cur.fetchall()]


# --- embedding jobs ---------------------------------------------------------------


@dataclass(frozen=True)
class EmbeddingTask:
    """One message to embed, as claimed: its text and the content version it had."""

    id: UUID
    tenant_id: str
    content: str
    content_version: int
    attempts: int
    context: str | None = None  # the end of the conversation's message before it


async def claim(
    conn: Conn, *, limit: int, lease_seconds: float, ids: list[UUID] | None = None
) -> list[EmbeddingTask]:
    """Claim pending messages for embedding: due ones (``ids`` None) or exactly ``ids``
    (inline mode, ignoring their lease). Each claimed row's attempt counter goes up and its
    next attempt moves ``lease_seconds`` ahead, so a crashed claimer's rows come back.
    Rows another claimer holds are skipped (SKIP LOCKED), never embedded twice at once.
    """
    cur = await conn.execute(
        """
        with picked as (
            select id from messages
            where embedding_status = 'pending'
              and (case when %(ids)s::uuid[] is null then embedding_next_attempt_at <= now()
                        else id = any(%(ids)s::uuid[]) end)
            order by embedding_next_attempt_at
            limit %(limit)s
            for update skip locked
        )
        update messages m set
            embedding_attempts = m.embedding_attempts + 1,
            embedding_next_attempt_at = now() + make_interval(secs => %(lease)s)
        from picked where m.id = picked.id
        returning m.id, m.tenant_id, m.content, m.content_version, m.embedding_attempts,
                  m.context
        """,
        {"ids": ids, "limit": limit, "lease": lease_seconds},
    )
    return [
        EmbeddingTask(
            id=row["id"],
            tenant_id=row["tenant_id"],
            content=row["content"],
            content_version=row["content_version"],
            attempts=row["embedding_attempts"],
            context=row["context"],
        )
        for row in await cur.fetchall()
    ]


async def store_embeddings(
    conn: Conn,
    *,
    tasks: list[EmbeddingTask],
    vectors: np.ndarray,
    provider: str,
    model: str,
) -> list[UUID]:
    """Write vectors for tasks whose content is unchanged since the claim; return their ids."""
    cur = await conn.execute(
        """
        update messages m set
            embedding = v.embedding,
            embedding_provider = %(provider)s,
            embedding_model = %(model)s,
            embedding_dimensions = vector_dims(v.embedding),
            embedding_status = 'ready',
            embedding_error = null,
            embedded_at = now()
        from unnest(%(ids)s::uuid[], %(versions)s::int[], %(vectors)s::vector[])
             as v(id, content_version, embedding)
        where m.id = v.id and m.content_version = v.content_version
          and m.embedding_status = 'pending'
        returning m.id
        """,
        {
            "ids": [t.id for t in tasks],
            "versions": [t.content_version for t in tasks],
            "vectors": list(vectors),
            "provider": provider,
            "model": model,
        },
    )
    return [row["id"] for row in await cur.fetchall()]


async def record_failure(
    conn: Conn,
    *,
    tasks: list[EmbeddingTask],
    error: str,
    max_attempts: int,
    retry_base_seconds: float,
) -> int:
    """Mark an embedding attempt failed: retried after an exponential backoff, or
    ``failed`` once the attempts are spent. Returns how many became ``failed``."""
    cur = await conn.execute(
        """
        update messages m set
            embedding_error = left(%(error)s, 1000),
            embedding_status = case when m.embedding_attempts >= %(max)s then 'failed'
                               else 'pending' end,
            embedding_next_attempt_at = now() + make_interval(
                secs => %(base)s * power(2, greatest(m.embedding_attempts - 1, 0)))
        from unnest(%(ids)s::uuid[], %(versions)s::int[]) as t(id, content_version)
        where m.id = t.id and m.content_version = t.content_version
          and m.embedding_status = 'pending'
        returning m.embedding_status
        """,
        {
            "error": error,
            "max": max_attempts,
            "base": retry_base_seconds,
            "ids": [t.id for t in tasks],
            "versions": [t.content_version for t in tasks],
        },
    )
    return sum(1 for row in await cur.fetchall() if row["embedding_status"] == "failed")


async def replay_failed(conn: Conn, *, tenant_id: str | None) -> int:
    """Put failed embeddings back in the queue with fresh attempts; return how many."""
    cur = await conn.execute(
        """
        update messages set embedding_status = 'pending', embedding_attempts = 0,
                            embedding_next_attempt_at = now()
        where embedding_status = 'failed' and (%(tenant)s::text is null or tenant_id = %(tenant)s)
        """,
        {"tenant": tenant_id},
    )
    return cur.rowcount


async def requeue_embedded(conn: Conn, *, tenant_id: str | None) -> int:
    """Queue embedded messages for embedding again (after the embedding text changed, e.g.
    ``MEMORY_EMBEDDING_CONTEXT_CHARS``); return how many. Until re-embedded they are found by
    keywords only: vector search reads ready rows."""
    cur = await conn.execute(
        """
        update messages set embedding_status = 'pending', embedding_attempts = 0,
                            embedding_next_attempt_at = now()
        where embedding_status = 'ready' and (%(tenant)s::text is null or tenant_id = %(tenant)s)
        """,
        {"tenant": tenant_id},
    )
    return cur.rowcount


async def pending_count(conn: Conn) -> int:
    cur = await conn.execute(
        "select count(*) as n from messages where embedding_status = 'pending'"
    )
    row = await cur.fetchone()
    return int(row["n"]) if row else 0
