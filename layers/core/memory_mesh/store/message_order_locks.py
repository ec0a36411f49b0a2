"""One writer at a time per conversation, for the writes that change what its messages
follow: an insert, an edit of content, a delete.

A message's stored context is the end of the message before it (store/messages.py), and
the writing statement computes it from the rows it sees. Two writes to one conversation
in flight together (a chat app storing turns without awaiting each other) each missed
the other: in a test of 8 concurrent one-message writes, 12-14 of 24 contexts were
wrong. So such a write first takes its conversations' transaction-level advisory locks;
the statement that follows starts after the previous writer committed and sees its rows
(READ COMMITTED: each statement takes a new snapshot).

- **Bounded**: a write touching more than :data:`MAX_CONVERSATION_LOCKS` conversations
  takes its tenant's lock exclusively instead (no lock table filled by one batch); the
  others take it shared, then their conversations'. Keys are taken in one order (tenant
  first, then by key), so two writers never wait on each other in a cycle.
- **What it costs**: no round trip of its own: the lock statement is sent with the
  write's statement in one pipeline (the server still runs them in turn, so the write's
  snapshot is taken after the locks are held); 1.03-1.06x an inline write
  (bench/results/inline_write.md). Writers of other conversations never wait.
- **Retention's batches** do not take them: a batch of 1,000 rows would lock its tenant's
  writes for the whole DELETE. Once a batch has committed, the messages now after its
  deleted rows take their context again under these locks (``mend_after_removal`` in
  store/messages.py): a write that ran beside the batch, saw its rows still there and
  took a deleted message's words, is mended then.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any
from uuid import UUID

from memory_mesh.store.database import Conn

#: above this many conversations a write locks its tenant's writes instead
MAX_CONVERSATION_LOCKS = 16

# the tenant's key first (shared, or exclusive for a wide write), then each conversation's
# in key order; a conversation named by a message is the one that message is in (the
# policies keep it to the tenant's rows)
_LOCK = """
select case when k.tenant and %(whole)s then pg_advisory_xact_lock(k.key)
            when k.tenant then pg_advisory_xact_lock_shared(k.key)
            else pg_advisory_xact_lock(k.key) end
from (
    select true as tenant, hashtextextended('message-order:tenant:' || %(tenant)s, 0) as key
    union
    select false, hashtextextended('message-order:' || c::text, 0)
    from (select unnest(%(conversations)s::uuid[])
          union select conversation_id from messages where id = any(%(messages)s::uuid[])) x(c)
    where not %(whole)s
    order by tenant desc, key
) k"""


async def lock_message_order(
    conn: Conn,
    *,
    tenant_id: str,
    conversations: Collection[UUID] = (),
    messages: Collection[UUID] = (),
) -> None:
    """Wait for, and hold until the transaction ends, the right to change the order of
    messages in ``conversations`` and in the conversations of ``messages``. In pipeline
    mode only queued: the server runs the next statement once the locks are held, so
    the two cost one round trip."""
    if not conversations and not messages:
        return
    whole = len(set(conversations)) + len(set(messages)) > MAX_CONVERSATION_LOCKS
    await conn.execute(
        _LOCK,
        {
            "tenant": tenant_id,
            "whole": whole,
            "conversations": list(conversations),
            "messages": list(messages),
        },
    )


async def rows_in_order(
    conn: Conn,
    statement: str,
    params: Mapping[str, Any],
    *,
    tenant_id: str,
    conversations: Collection[UUID] = (),
    messages: Collection[UUID] = (),
) -> list[dict[str, Any]]:
    """``statement``'s rows, run once this write holds its conversations' locks
    (:func:`lock_message_order`): the two sent in one pipeline, one round trip. Nothing
    to lock (no context kept): the statement alone, no pipeline."""
    if not conversations and not messages:
        cur = await conn.execute(statement, params)
        return await cur.fetchall()
    async with conn.pipeline():
        await lock_message_order(
            conn, tenant_id=tenant_id, conversations=conversations, messages=messages
        )
        cur = await conn.execute(statement, params)
        return await cur.fetchall()
