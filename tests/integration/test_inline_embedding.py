"""Inline writes embed first and store each message once, with its vector: real model,
real database. A message whose embedding fails there is stored pending and embedded (or
recorded failed) the usual way; nothing is lost."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from memory_mesh.domain.models import (
    EmbeddingStatus,
    Message,
    MessagePatch,
    Role,
    SearchMode,
    SearchQuery,
)
from memory_mesh.embeddings import Embedder
from memory_mesh.runtime import Runtime
from memory_mesh.services.messages import MessageInput
from tests.conftest import make_settings
from tests.integration.test_embedding_failures import SwitchableEmbedder


@pytest.fixture
async def inline(
    database_url: str, local_embedder: Embedder
) -> AsyncIterator[tuple[Runtime, SwitchableEmbedder, list[tuple[str, list[Any]]]]]:
    switch = SwitchableEmbedder(local_embedder)
    settings = make_settings(database_url, embedding_batch_size=2)
    rt = await Runtime.start(settings, embedder=switch, run_worker=False)
    assert rt.messages.inline
    events: list[tuple[str, list[Any]]] = []
    announce = rt.messages.on_change

    async def record(tenant: str, kind: str, messages: list[Message]) -> None:
        events.append((kind, [m.id for m in messages]))
        if announce is not None:
            await announce(tenant, kind, messages)

    rt.messages.on_change = record
    yield rt, switch, events
    await rt.stop()


async def _rows(rt: Runtime, ids: list[Any]) -> dict[Any, dict[str, Any]]:
    async with rt.db.system() as conn:
        cur = await conn.execute(
            "select m.id, m.embedding_status, m.embedding_attempts, m.embedded_at,"
            " m.updated_at, m.embedding is not null as has_vector,"
            " exists (select 1 from message_vectors v where v.id = m.id) as narrow"
            " from messages m where m.id = any(%s)",
            [ids],
        )
        return {r["id"]: r for r in await cur.fetchall()}


async def test_an_inline_batch_is_stored_once_with_its_vectors(
    inline: tuple[Runtime, SwitchableEmbedder, list[tuple[str, list[Any]]]], tenant: str
) -> None:
    rt, _, events = inline
    texts = ["The boiler is serviced every October.", "Mia prefers window seats.", "Ok."]
    results = await rt.messages.create_batch(
        tenant, [MessageInput(conversation_id="home", role=Role.user, content=t) for t in texts]
    )
    ids = [r.id for r in results]
    assert [r.status for r in results] == ["created"] * 3
    assert all(r.message and r.message.embedding_status is EmbeddingStatus.ready for r in results)
    for row in (await _rows(rt, ids)).values():
        # embedded in the INSERT's own transaction: one write, no later UPDATE
        assert row["embedding_status"] == "ready" and row["has_vector"] and row["narrow"]
        assert row["embedded_at"] == row["updated_at"]
        assert row["embedding_attempts"] == 1
    assert events == [("message.created", ids), ("message.embedded", ids)]
    hits = await rt.search.search(
        SearchQuery(
            tenant_id=tenant, query="who likes sitting by the window", mode=SearchMode.vector
        )
    )
    assert hits.hits and hits.hits[0].message.id == ids[1]


async def test_a_batch_whose_embedding_fails_is_stored_and_embedded_the_usual_way(
    inline: tuple[Runtime, SwitchableEmbedder, list[tuple[str, list[Any]]]], tenant: str
) -> None:
    rt, switch, _ = inline
    # batches of 2: the first pair's model call fails (a poisoned text), the last succeeds
    texts = ["POISON pill", "an innocent neighbour", "stored with its vector"]
    results = await rt.messages.create_batch(
        tenant, [MessageInput(conversation_id="mixed", role=Role.user, content=t) for t in texts]
    )
    ids = [r.id for r in results]
    rows = await _rows(rt, ids)
    # the failed pair went the usual way: stored, then embedded after (the neighbour) or
    # recorded failed for a retry (the poison), never lost
    poison, neighbour, last = (rows[i] for i in ids)
    assert last["embedded_at"] == last["updated_at"] and last["embedding_attempts"] == 1
    assert (
        neighbour["embedding_status"] == "ready"
        and neighbour["embedded_at"] > neighbour["updated_at"]
    )
    assert poison["embedding_status"] == "pending" and not poison["has_vector"]
    assert results[0].message is not None and results[0].message.embedding_error
    switch.poison = "nothing poisons now"
    async with rt.db.system() as conn:
        await conn.execute(
            "update messages set embedding_next_attempt_at = now() where id = %s", [ids[0]]
        )
    await rt.pipeline.embed_due()
    assert (await _rows(rt, [ids[0]]))[ids[0]]["embedding_status"] == "ready"


async def test_with_the_context_embedded_the_message_is_stored_first(
    database_url: str, local_embedder: Embedder, tenant: str
) -> None:
    """The embedded text then holds the stored context, known only once stored."""
    rt = await Runtime.start(
        make_settings(database_url, embedding_context=True), embedder=local_embedder,
        run_worker=False,
    )  # fmt: skip
    try:
        results = await rt.messages.create_batch(
            tenant,
            [MessageInput(conversation_id="ctx", role=Role.user, content=t) for t in ("a", "b")],
        )
        rows = await _rows(rt, [r.id for r in results])
        assert all(r["embedding_status"] == "ready" for r in rows.values())
        assert all(r["embedded_at"] > r["updated_at"] for r in rows.values())
    finally:
        await rt.stop()


async def test_an_edited_content_is_stored_with_its_new_vector_at_once(
    inline: tuple[Runtime, SwitchableEmbedder, list[tuple[str, list[Any]]]], tenant: str
) -> None:
    rt, _, events = inline
    (created,) = await rt.messages.create_batch(
        tenant, [MessageInput(conversation_id="edit", role=Role.user, content="I drive a Volvo.")]
    )
    assert created.id is not None
    events.clear()
    edited = await rt.messages.update(
        tenant, MessagePatch(id=created.id, content="I sold the car; I cycle to work now.")
    )
    metadata_only = await rt.messages.update(tenant, MessagePatch(id=created.id, metadata={"k": 1}))
    assert edited.embedding_status is EmbeddingStatus.ready
    row = (await _rows(rt, [created.id]))[created.id]
    assert row["embedding_attempts"] == 1 and row["narrow"]
    assert edited.embedded_at == edited.updated_at  # the vector came with the new content
    assert metadata_only.embedded_at == edited.embedded_at  # not embedded again
    assert events == [
        ("message.updated", [created.id]),
        ("message.embedded", [created.id]),
        ("message.updated", [created.id]),
    ]
    hits = await rt.search.search(
        SearchQuery(tenant_id=tenant, query="how do I commute", mode=SearchMode.vector)
    )
    assert hits.hits[0].message.id == created.id
    assert hits.hits[0].message.content.startswith("I sold the car")
