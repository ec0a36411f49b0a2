"""Nothing is lost: a message survives embedding failures, is retried, gives up visibly,
and is embedded after a replay. The provider failure is injected around the REAL model."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from uuid import UUID

import numpy as np
import pytest

from memory_mesh.config import Settings
from memory_mesh.domain.models import EmbeddingStatus, Role
from memory_mesh.embeddings import Embedder, EmbedderInfo, EmbeddingUnavailable
from memory_mesh.runtime import Runtime
from memory_mesh.services.messages import MessageInput
from tests.conftest import make_settings


class SwitchableEmbedder:
    """The real embedder, with a switch that makes it fail like a provider outage."""

    def __init__(self, inner: Embedder) -> None:
        self.inner = inner
        self.down = False
        self.poison = "POISON"

    @property
    def info(self) -> EmbedderInfo:
        return self.inner.info

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray:
        if self.down:
            raise EmbeddingUnavailable("provider is down (injected)")
        if any(self.poison in t for t in texts):
            raise ValueError("provider rejected a text (injected)")
        return self.inner.embed_documents(texts)

    def embed_query(self, text: str) -> np.ndarray:
        if self.down:
            raise EmbeddingUnavailable("provider is down (injected)")
        return self.inner.embed_query(text)


@pytest.fixture
async def flaky(
    database_url: str, local_embedder: Embedder
) -> AsyncIterator[tuple[Runtime, SwitchableEmbedder]]:
    switch = SwitchableEmbedder(local_embedder)
    settings: Settings = make_settings(database_url, embedding_max_attempts=3)
    rt = await Runtime.start(settings, embedder=switch, run_worker=False)
    yield rt, switch
    await rt.stop()


async def _status(rt: Runtime, tenant: str, mid: UUID) -> tuple[EmbeddingStatus, int]:
    m = await rt.messages.get(tenant, mid)
    return m.embedding_status, m.embedding_attempts


async def test_a_failed_embedding_leaves_the_message_stored_then_embedded(
    flaky: tuple[Runtime, SwitchableEmbedder], tenant: str
) -> None:
    rt, switch = flaky
    conv, _ = await rt.conversations.create(tenant, title=None, metadata={})
    switch.down = True
    message, created = await rt.messages.create(
        tenant, MessageInput(conversation_id=conv.id, role=Role.user, content="keep me safe")
    )
    assert created and message.embedding_status is EmbeddingStatus.pending
    assert message.embedding_error and "down" in message.embedding_error
    # retried by the worker while the provider is down: attempts count up, then `failed`
    while (await _status(rt, tenant, message.id))[0] is EmbeddingStatus.pending:
        await rt.pipeline.embed_due()
    status, attempts = await _status(rt, tenant, message.id)
    assert (status, attempts) == (EmbeddingStatus.failed, 3)
    # provider back, operator replays: embedded and searchable, stored exactly once
    switch.down = False
    assert await rt.pipeline.replay_failed(tenant) == 1
    await rt.pipeline.embed_due()
    assert (await _status(rt, tenant, message.id))[0] is EmbeddingStatus.ready
    page = await rt.conversations.messages(
        tenant, conv.id, limit=10, cursor=None, include_archived=False
    )
    assert [m.id for m in page.items] == [message.id]


async def test_hybrid_search_degrades_to_keywords_when_the_provider_is_down(
    flaky: tuple[Runtime, SwitchableEmbedder], tenant: str
) -> None:
    from memory_mesh.domain.models import SearchMode, SearchQuery
    from memory_mesh.errors import ServiceUnavailable

    rt, switch = flaky
    conv, _ = await rt.conversations.create(tenant, title=None, metadata={})
    await rt.messages.create(
        tenant,
        MessageInput(
            conversation_id=conv.id, role=Role.user, content="the boiler service is in March"
        ),
    )
    switch.down = True
    outcome = await rt.search.search(SearchQuery(tenant_id=tenant, query="boiler service"))
    assert outcome.degraded and outcome.mode is SearchMode.keyword
    assert [h.message.content for h in outcome.hits] == ["the boiler service is in March"]
    with pytest.raises(ServiceUnavailable):
        await rt.search.search(
            SearchQuery(tenant_id=tenant, query="boiler", mode=SearchMode.vector)
        )


async def test_one_poisonous_text_does_not_fail_its_batch(
    flaky: tuple[Runtime, SwitchableEmbedder], tenant: str
) -> None:
    rt, switch = flaky
    conv, _ = await rt.conversations.create(tenant, title=None, metadata={})
    items = [
        MessageInput(conversation_id=conv.id, role=Role.user, content=text)
        for text in ("good one", f"bad {switch.poison}", "good two")
    ]
    results = await rt.messages.create_batch(tenant, items)
    statuses = [r.message.embedding_status for r in results if r.message]
    assert statuses == [EmbeddingStatus.ready, EmbeddingStatus.pending, EmbeddingStatus.ready]


async def test_a_crashed_claim_is_picked_up_after_its_lease(
    flaky: tuple[Runtime, SwitchableEmbedder], tenant: str
) -> None:
    from memory_mesh.store import messages as store

    rt, _ = flaky
    conv, _ = await rt.conversations.create(tenant, title=None, metadata={})
    rt.messages.inline = False
    message, _ = await rt.messages.create(
        tenant, MessageInput(conversation_id=conv.id, role=Role.user, content="orphan")
    )
    # a worker claims it and dies before writing the vector
    async with rt.db.system() as conn:
        claimed = await store.claim(conn, limit=10, lease_seconds=0.5, ids=[message.id])
    assert [t.id for t in claimed] == [message.id]
    async with rt.db.system() as conn:
        cur = await conn.execute(
            "select embedding_next_attempt_at > now() as leased from messages where id = %s",
            [message.id],
        )
        assert (await cur.fetchone()) == {"leased": True}  # not due: no one else takes it
    import asyncio

    await asyncio.sleep(0.6)
    while (await _status(rt, tenant, message.id))[0] is EmbeddingStatus.pending:
        await rt.pipeline.embed_due(limit=1000)
    assert (await _status(rt, tenant, message.id))[0] is EmbeddingStatus.ready
