"""A scope's BM25 statistics (its messages, their average length), as a keyword or hybrid
statement counted them, are remembered a while and given to the scope's next searches, so
those do not count them again (services/search.py, REMEMBERED_STATS_MIN_DOCS): from a
large enough scope only, never refreshed by the searches they are given to, and ranking
exactly as counting them does while the scope is unchanged."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from memory_mesh.domain.models import Role, SearchMode, SearchQuery
from memory_mesh.runtime import Runtime
from memory_mesh.services import search as search_service
from memory_mesh.services.principal_cache import TtlCache
from memory_mesh.services.search import SearchService
from memory_mesh.store import search as store_search
from tests.conftest import new_conversation
from tests.integration.batch import store_batch

TEXTS = [f"note {i}: the {w} came up on day {i}" for i in range(12) for w in ("garden", "boat")]


def _service(runtime: Runtime, min_docs: int, clock: list[float]) -> SearchService:
    service = runtime.search
    memo = SearchService(
        runtime.db,
        runtime.embedder,
        weights=service.weights,
        plan=service.plan,
        limits=service.limits,
        remembered_stats_min_docs=min_docs,
    )
    # the statistics' memo on a clock the test moves
    memo._scope_statistics = TtlCache(60.0, clock=lambda: clock[0])
    return memo


@pytest.fixture
def given(monkeypatch: pytest.MonkeyPatch) -> list[store_search.ScopeStats | None]:
    """The statistics each search gave its statement (None: the statement counted them)."""
    seen: list[store_search.ScopeStats | None] = []
    real = search_service.store.start_search

    async def spying(conn: Any, **arguments: Any) -> Any:
        seen.append(arguments["scope_stats"])
        return await real(conn, **arguments)

    monkeypatch.setattr(search_service.store, "start_search", spying)
    return seen


@pytest.fixture
async def conv(client: httpx.AsyncClient, tenant: str) -> str:
    """A conversation of the 24 texts, stored through the API (embedded)."""
    conversation = await new_conversation(client, tenant)
    await store_batch(client, tenant, conversation, TEXTS)
    return conversation


def _ranking(hits: list[store_search.SearchHit]) -> list[tuple[str, float, float | None]]:
    return [(str(h.message.id), h.scores.score, h.scores.keyword) for h in hits]


@pytest.mark.parametrize("mode", [SearchMode.keyword, SearchMode.hybrid])
async def test_a_scopes_statistics_counted_by_its_search_are_given_to_the_next(
    mode: SearchMode,
    runtime: Runtime,
    tenant: str,
    conv: str,
    given: list[store_search.ScopeStats | None],
) -> None:
    clock = [0.0]
    service = _service(runtime, len(TEXTS), clock)  # this conversation is large enough
    query = SearchQuery(
        tenant_id=tenant, query="garden", mode=mode, top_k=5, conversation_id=uuid.UUID(conv),
        reference_time=datetime.now(UTC),  # recency as of one time: the same scores
    )  # fmt: skip
    async with runtime.db.tenant(tenant) as conn:
        counted = await store_search.scope_statistics(conn, query, service.weights.context_weight)

    first = await service.search(query)
    second = await service.search(query)
    assert given == [None, counted]  # the first counted them, the second was given them
    assert len(first.hits) == 5 and _ranking(second.hits) == _ranking(first.hits)

    # another scope (a filter) is counted on its own; vector mode needs none
    await service.search(replace(query, role=Role.user))
    await service.search(replace(query, mode=SearchMode.vector))
    assert given[2:] == [None, None]

    # the searches they were given to did not keep them longer: counted again once the
    # time is up, and then remembered again
    clock[0] = 59.0
    await service.search(query)
    clock[0] = 61.0
    await service.search(query)
    await service.search(query)
    assert given[4:] == [counted, None, counted]


async def test_a_small_scopes_statistics_are_counted_every_time(
    runtime: Runtime, tenant: str, conv: str, given: list[store_search.ScopeStats | None]
) -> None:
    service = _service(runtime, len(TEXTS) + 1, [0.0])  # one message short
    query = SearchQuery(
        tenant_id=tenant, query="boat", mode=SearchMode.hybrid, top_k=5, conversation_id=conv
    )
    for _ in range(3):
        assert len((await service.search(query)).hits) == 5
    assert given == [None, None, None]
    assert search_service.REMEMBERED_STATS_MIN_DOCS == 1000  # the service's own


async def test_remembered_statistics_rank_a_grown_scope_as_before_until_counted_again(
    runtime: Runtime,
    client: httpx.AsyncClient,
    tenant: str,
    conv: str,
    given: list[store_search.ScopeStats | None],
) -> None:
    """Messages stored meanwhile are found (the statistics only weigh the words); their
    count is taken up once the statistics are counted again."""
    clock = [0.0]
    service = _service(runtime, len(TEXTS), clock)
    query = SearchQuery(
        tenant_id=tenant, query="garden fence", mode=SearchMode.keyword, top_k=30,
        conversation_id=conv,
    )  # fmt: skip
    before = await service.search(query)
    await store_batch(client, tenant, conv, ["the garden fence, painted"])
    grown = await service.search(query)
    clock[0] = 61.0
    recounted = await service.search(query)
    assert given[0] is None and given[2] is None
    assert given[1] is not None and given[1].docs == len(TEXTS)
    fence = [h for h in grown.hits if "fence" in h.message.content]
    assert len(fence) == 1 and len(grown.hits) == len(before.hits) + 1
    # ranked first in both: it matches both words
    assert grown.hits[0].message.id == recounted.hits[0].message.id == fence[0].message.id
