"""Each message's context (the end of the message before it in its conversation) is
written with the message, in its INSERT, and equals what ``set_context`` (the definition,
``memory-mesh recontext``) computes: for batches out of order, with equal timestamps,
interleaved conversations, a retried batch and an id another tenant holds. Real
database, real service."""

from __future__ import annotations

import asyncio
import random
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from memory_mesh.domain.models import MessagePatch, Role
from memory_mesh.domain.retention import Conditions, RuleAction, RuleSpec
from memory_mesh.runtime import Runtime
from memory_mesh.services.messages import MessageInput
from memory_mesh.store import messages as message_store
from memory_mesh.store import retention as retention_store
from memory_mesh.store.message_order_locks import lock_message_order
from tests.conftest import make_tenant, new_conversation

T0 = datetime(2025, 3, 1, 12, tzinfo=UTC)


async def _contexts(runtime: Runtime, tenant: str) -> dict[uuid.UUID, str | None]:
    async with runtime.db.system() as conn:
        cur = await conn.execute("select id, context from messages where tenant_id = %s", [tenant])
        return {r["id"]: r["context"] for r in await cur.fetchall()}


async def _recomputed(runtime: Runtime, tenant: str) -> int:
    """How many stored contexts the definition changes (0: all were as defined)."""
    chars = runtime.settings.message_context_chars
    async with runtime.db.system() as conn:
        return await message_store.set_context(conn, ids=None, chars=chars, tenant_id=tenant)


def _item(
    conv: str | uuid.UUID,
    content: str,
    at: datetime | None,
    message_id: uuid.UUID | None = None,
    role: Role = Role.user,
) -> MessageInput:
    return MessageInput(
        conversation_id=conv,
        role=role,
        content=content,
        created_at=at,
        id=message_id,
    )


async def test_contexts_written_with_the_batch_equal_the_definition(
    client: httpx.AsyncClient, runtime: Runtime, tenant: str
) -> None:
    assert runtime.settings.message_context_chars > 0
    rng = random.Random(7)
    convs = [await new_conversation(client, tenant) for _ in range(3)]
    batches: list[list[MessageInput]] = []
    n = 0
    for _ in range(5):
        batch = []
        for _ in range(rng.randint(3, 9)):
            n += 1
            # out of order, often equal (arrival then orders), sometimes "now"
            at = None if rng.random() < 0.2 else T0 + timedelta(minutes=rng.randint(0, 6))
            batch.append(_item(rng.choice(convs), f"turn {n} about topic {rng.randint(1, 4)}", at))
        batches.append(batch)
    ids: list[list[uuid.UUID | None]] = []
    for batch in batches:
        results = await runtime.messages.create_batch(tenant, batch)
        assert all(r.status == "created" for r in results), results
        ids.append([r.id for r in results])
    stored = await _contexts(runtime, tenant)
    assert len(stored) == n
    taken_from_the_batch = sum(1 for c in stored.values() if c is not None)
    assert taken_from_the_batch > n // 2  # most messages have a previous one
    assert await _recomputed(runtime, tenant) == 0

    # a retried batch (its ids stored) with new rows between: the stored copies count
    late = _item(convs[0], "a late reply", T0 + timedelta(minutes=3))
    retried = [
        _item(i.conversation_id, i.content, i.created_at, message_id)
        for i, message_id in zip(batches[1], ids[1], strict=True)
    ] + [late]
    results = await runtime.messages.create_batch(tenant, retried)
    assert [r.status for r in results] == ["existing"] * len(batches[1]) + ["created"]
    assert await _recomputed(runtime, tenant) == 0


async def test_a_row_not_stored_gives_no_context_to_the_rows_after_it(
    client: httpx.AsyncClient, runtime: Runtime, tenant: str
) -> None:
    other, _ = await make_tenant(runtime)
    theirs = uuid.uuid4()
    other_conv = "their-conversation"  # an external id: created on first use
    result = await runtime.messages.create_batch(
        other, [_item(other_conv, "the other tenant's message", T0, theirs)]
    )
    assert result[0].status == "created"

    conv = await new_conversation(client, tenant)
    results = await runtime.messages.create_batch(
        tenant,
        [
            _item(conv, "first words", T0),
            _item(conv, "words that are not stored", T0, theirs),  # the id is taken
            _item(conv, "the reply", T0),
        ],
    )
    assert [r.status for r in results] == ["created", "error", "created"]
    stored = await _contexts(runtime, tenant)
    assert stored[results[2].id] == "first words"  # not the rejected row's words
    assert await _recomputed(runtime, tenant) == 0


async def test_an_edited_message_gives_the_next_one_its_new_words(
    client: httpx.AsyncClient, runtime: Runtime, tenant: str
) -> None:
    conv = await new_conversation(client, tenant)
    results = await runtime.messages.create_batch(
        tenant, [_item(conv, text, T0) for text in ("Shall we meet at noon?", "Yes, see you.")]
    )
    first, second = (r.id for r in results)
    assert first is not None and second is not None
    await runtime.messages.update(tenant, MessagePatch(id=first, content="Shall we meet at six?"))
    assert (await _contexts(runtime, tenant))[second] == "Shall we meet at six?"
    assert await _recomputed(runtime, tenant) == 0


async def test_no_deleted_words_stay_behind_in_the_next_message(
    client: httpx.AsyncClient, runtime: Runtime, tenant: str
) -> None:
    """Deleted through the API or by a retention rule, a message's words leave the
    context of the message after it (keyword search would still find them there)."""
    conv = await new_conversation(client, tenant)
    texts = ["Hello there.", "My PIN is 4412.", "Noted.", "An old tool call.", "Thanks."]
    results = await runtime.messages.create_batch(
        tenant,
        [
            _item(conv, text, T0 + timedelta(minutes=i), role=Role.tool if i == 3 else Role.user)
            for i, text in enumerate(texts)
        ],
    )
    ids = [r.id for r in results]
    assert (await _contexts(runtime, tenant))[ids[2]] == "My PIN is 4412."
    await runtime.messages.delete(tenant, ids[1])  # type: ignore[arg-type]
    contexts = await _contexts(runtime, tenant)
    assert contexts[ids[2]] == "Hello there."
    assert contexts[ids[4]] == "An old tool call."
    retention = runtime.retention
    await retention.create_rule(
        tenant,
        RuleSpec(
            name="tool calls",
            action=RuleAction.delete,
            skip_archive=True,
            conditions=Conditions(roles=(Role.tool,)),
        ),
    )
    run = await retention.run(tenant)
    assert run.deleted == 1
    contexts = await _contexts(runtime, tenant)
    assert contexts[ids[4]] == "Noted."
    assert await _recomputed(runtime, tenant) == 0


async def test_a_run_of_deleted_messages_hands_the_next_one_the_words_before_the_run(
    client: httpx.AsyncClient, runtime: Runtime, tenant: str
) -> None:
    conv = await new_conversation(client, tenant)
    texts = ["zero", "one", "two", "three", "four"]
    results = await runtime.messages.create_batch(
        tenant, [_item(conv, t, T0 + timedelta(minutes=i)) for i, t in enumerate(texts)]
    )
    ids = [r.id for r in results]
    deleted = await runtime.messages.delete_batch(tenant, [ids[2], ids[1], ids[4]])  # type: ignore[list-item]
    assert [r.status for r in deleted] == ["deleted"] * 3
    contexts = await _contexts(runtime, tenant)
    assert set(contexts) == {ids[0], ids[3]}
    assert contexts[ids[3]] == "zero"
    assert await _recomputed(runtime, tenant) == 0


async def test_concurrent_writes_to_one_conversation_each_see_the_one_before(
    client: httpx.AsyncClient, runtime: Runtime, tenant: str
) -> None:
    # a chat app storing turns without awaiting each other: every write's INSERT sees the
    # writes committed before it, so each message's context is the one before it
    conv = await new_conversation(client, tenant)
    for round_ in range(3):
        at = T0 + timedelta(hours=round_)
        writes = [
            runtime.messages.create_batch(
                tenant, [_item(conv, f"round {round_} turn {i} mentions word{round_}x{i}", at)]
            )
            for i in range(8)
        ]
        for results in await asyncio.gather(*writes):
            assert results[0].status == "created", results
    assert await _recomputed(runtime, tenant) == 0


async def test_concurrent_inserts_edits_and_deletes_in_one_conversation_keep_the_definition(
    client: httpx.AsyncClient, runtime: Runtime, tenant: str
) -> None:
    conv = await new_conversation(client, tenant)
    for round_ in range(3):
        at = T0 + timedelta(days=round_)
        stored = await runtime.messages.create_batch(
            tenant, [_item(conv, f"base {round_}.{i} word{i}", at) for i in range(8)]
        )
        ids = [r.id for r in stored if r.id is not None]
        # opposite orders of the same conversations too: the locks are taken in one order
        other = await new_conversation(client, tenant)
        writes = [
            *(
                runtime.messages.create_batch(
                    tenant, [_item(conv, f"new {round_}.{i} fresh{i}", at)]
                )
                for i in range(4)
            ),
            runtime.messages.create_batch(
                tenant, [_item(conv, "pair a", at), _item(other, "pair b", at)]
            ),
            runtime.messages.create_batch(
                tenant, [_item(other, "pair c", at), _item(conv, "pair d", at)]
            ),
            runtime.messages.update_batch(
                tenant,
                [MessagePatch(id=ids[1], content=f"edited {round_} newword")],
            ),
            runtime.messages.update_batch(
                tenant,
                [MessagePatch(id=ids[4], content=f"edited again {round_} otherword")],
            ),
            runtime.messages.delete_batch(tenant, [ids[2]]),
            runtime.messages.delete_batch(tenant, [ids[6], ids[5]]),
        ]
        for results in await asyncio.gather(*writes):
            assert all(r.error is None for r in results), results
    assert await _recomputed(runtime, tenant) == 0


async def test_a_write_to_many_conversations_holds_one_lock_not_one_each(
    client: httpx.AsyncClient, runtime: Runtime, tenant: str
) -> None:
    convs = [uuid.UUID(await new_conversation(client, tenant)) for _ in range(40)]
    held = (
        "select count(*) as n from pg_locks where locktype = 'advisory' and pid = pg_backend_pid()"
    )
    async with runtime.db.tenant(tenant) as conn:
        await lock_message_order(conn, tenant_id=tenant, conversations=convs[:3])
        cur = await conn.execute(held)
        few = await cur.fetchone()
    async with runtime.db.tenant(tenant) as conn:
        await lock_message_order(conn, tenant_id=tenant, conversations=convs)
        cur = await conn.execute(held)
        many = await cur.fetchone()
    assert few is not None and many is not None
    assert (few["n"], many["n"]) == (4, 1)  # the tenant's (shared) + 3; the tenant's alone


async def test_a_write_waits_only_for_a_writer_of_its_own_conversation(
    client: httpx.AsyncClient, runtime: Runtime, tenant: str
) -> None:
    held, free = await new_conversation(client, tenant), await new_conversation(client, tenant)
    release = asyncio.Event()
    locked = asyncio.Event()

    async def hold() -> None:  # a writer of ``held`` in the middle of its transaction
        async with runtime.db.tenant(tenant) as conn:
            await lock_message_order(conn, tenant_id=tenant, conversations=[uuid.UUID(held)])
            locked.set()
            await release.wait()

    holder = asyncio.create_task(hold())
    await locked.wait()
    try:
        # the other conversation's write goes through at once
        other = await asyncio.wait_for(
            runtime.messages.create_batch(tenant, [_item(free, "elsewhere", None)]), 10
        )
        assert other[0].status == "created"
        # this conversation's write waits until the holder ends
        waiting = asyncio.create_task(
            runtime.messages.create_batch(tenant, [_item(held, "after the holder", None)])
        )
        done, _ = await asyncio.wait({waiting}, timeout=1.0)
        assert not done
    finally:
        release.set()
        await holder
    assert (await asyncio.wait_for(waiting, 10))[0].status == "created"


async def test_a_write_beside_a_retention_batch_keeps_no_deleted_words(
    client: httpx.AsyncClient, runtime: Runtime, tenant: str, monkeypatch: Any
) -> None:
    # a retention batch deletes a conversation's newest message; a write to that
    # conversation runs while the batch is still open, so its INSERT still sees the
    # message and takes its words as context. Once the batch commits, the mend after it
    # hands the new message the words before the deleted one
    conv = await new_conversation(client, tenant)
    await runtime.messages.create_batch(
        tenant,
        [
            _item(conv, "What is the code?", T0),
            _item(conv, "tool: the code is 7731", T0 + timedelta(minutes=1), role=Role.tool),
        ],
    )
    await runtime.retention.create_rule(
        tenant,
        RuleSpec(
            name="tool calls",
            action=RuleAction.delete,
            skip_archive=True,
            conditions=Conditions(roles=(Role.tool,)),
        ),
    )
    written: list[uuid.UUID | None] = []
    save_run = retention_store.save_run

    async def save_run_with_a_write_beside(conn: Any, run: Any, **kwargs: Any) -> Any:
        if not written:  # inside the batch's transaction, after its DELETE
            results = await runtime.messages.create_batch(
                tenant, [_item(conv, "And now?", T0 + timedelta(minutes=2))]
            )
            written.append(results[0].id)
            assert (await _contexts(runtime, tenant))[written[0]] == "tool: the code is 7731"
        return await save_run(conn, run, **kwargs)

    monkeypatch.setattr(retention_store, "save_run", save_run_with_a_write_beside)
    run = await runtime.retention.run(tenant)
    assert run.deleted == 1 and written
    assert (await _contexts(runtime, tenant))[written[0]] == "What is the code?"
    assert await _recomputed(runtime, tenant) == 0
