"""A search scoped to a conversation named by the client's own id (its external id) finds
what the same search by the conversation's UUID finds, in a small scope and a large one,
and nothing for an id the tenant does not have; the UUID is remembered (no lookup before
the statement), and a conversation deleted and created again under that id is searched
under its new UUID."""

from __future__ import annotations

import uuid
from dataclasses import replace
from pathlib import Path

import httpx
import pytest

from memory_mesh.domain.models import SearchMode, SearchQuery
from memory_mesh.runtime import Runtime
from memory_mesh.services.search import SearchService
from memory_mesh.store.database import Database
from tests.integration.batch import store_batch
from tests.integration.search_support import service_with_exact_limit

TEXTS = [f"day {i}: we talked about the {w} again" for i in range(15) for w in ("garden", "boat")]


async def _conversation_pair(client: httpx.AsyncClient, tenant: str) -> tuple[str, uuid.UUID]:
    """A conversation created by its first messages under an external id, and another
    of the tenant holding the same texts; (its external id, its UUID)."""
    external_id = f"chat-{uuid.uuid4().hex[:8]}"
    await store_batch(client, tenant, external_id, TEXTS)
    await store_batch(client, tenant, f"other-{uuid.uuid4().hex[:8]}", TEXTS)
    found = await client.get(f"/v1/conversations/{external_id}", params={"tenant_id": tenant})
    assert found.status_code == 200, found.text
    return external_id, uuid.UUID(found.json()["id"])


def _services(runtime: Runtime) -> dict[str, SearchService]:
    # the second searches exactly only up to 10 rows: the conversation's 30 make a large
    # scope, whose conversation is read first
    return {"small scope": runtime.search, "large scope": service_with_exact_limit(runtime, 10)}


@pytest.mark.parametrize("mode", list(SearchMode))
async def test_a_conversation_named_by_its_external_id_finds_what_its_uuid_finds(
    mode: SearchMode, runtime: Runtime, client: httpx.AsyncClient, tenant: str
) -> None:
    external_id, conversation = await _conversation_pair(client, tenant)
    by_uuid = SearchQuery(
        tenant_id=tenant, query="garden", mode=mode, top_k=8, conversation_id=conversation
    )
    by_external_id = replace(by_uuid, conversation_id=external_id)
    for name, service in _services(runtime).items():
        for _ in range(2):  # the scope's plan counted, then remembered
            expected = await service.search(by_uuid)
            got = await service.search(by_external_id)
            assert got.plan == expected.plan, name
            assert len(got.hits) == 8, name
            assert [h.message.id for h in got.hits] == [h.message.id for h in expected.hits]
            assert [h.scores.score for h in got.hits] == pytest.approx(
                [h.scores.score for h in expected.hits], rel=1e-9
            )
            assert {h.message.conversation_id for h in got.hits} == {conversation}, name
            assert {h.message.conversation_external_id for h in got.hits} == {external_id}, name


@pytest.mark.parametrize("mode", list(SearchMode))
async def test_an_external_id_the_tenant_does_not_have_finds_nothing(
    mode: SearchMode, runtime: Runtime, client: httpx.AsyncClient, tenant: str
) -> None:
    await _conversation_pair(client, tenant)
    query = SearchQuery(tenant_id=tenant, query="garden", mode=mode, conversation_id="no-such")
    for name, service in _services(runtime).items():
        for _ in range(2):
            assert (await service.search(query)).hits == [], name


@pytest.mark.parametrize("mode", list(SearchMode))
async def test_a_conversation_deleted_and_created_again_is_searched_under_its_new_uuid(
    mode: SearchMode, runtime: Runtime, client: httpx.AsyncClient, tenant: str
) -> None:
    external_id, old = await _conversation_pair(client, tenant)
    query = SearchQuery(
        tenant_id=tenant, query="garden", mode=mode, top_k=5, conversation_id=external_id
    )
    services = _services(runtime)
    for service in services.values():
        assert {h.message.conversation_id for h in (await service.search(query)).hits} == {old}
    deleted = await client.delete(f"/v1/conversations/{external_id}", params={"tenant_id": tenant})
    assert deleted.status_code in (200, 204), deleted.text
    for name, service in services.items():  # gone: nothing found, the id forgotten
        assert (await service.search(query)).hits == [], name
    new_ids = set(await store_batch(client, tenant, external_id, TEXTS[:12]))
    for name, service in services.items():  # remembered again, then under the new UUID
        for _ in range(2):
            hits = (await service.search(query)).hits
            assert len(hits) == 5, name
            assert {str(h.message.id) for h in hits} <= new_ids, name
    # deleted and created again between two searches: the remembered UUID finds nothing,
    # the search asks again and finds the new conversation's messages
    deleted = await client.delete(f"/v1/conversations/{external_id}", params={"tenant_id": tenant})
    assert deleted.status_code in (200, 204), deleted.text
    newest_ids = set(await store_batch(client, tenant, external_id, TEXTS[:12]))
    for name, service in services.items():
        hits = (await service.search(query)).hits
        assert len(hits) == 5, name
        assert {str(h.message.id) for h in hits} <= newest_ids, name


async def test_a_search_by_external_id_is_one_round_trip_once_its_uuid_is_known(
    runtime: Runtime, client: httpx.AsyncClient, tenant: str, database_url: str, tmp_path: Path
) -> None:
    external_id, _ = await _conversation_pair(client, tenant)
    db = Database(database_url, min_size=1, max_size=1, statement_timeout_ms=5_000)
    await db.open()
    try:
        service = SearchService(
            db,
            runtime.embedder,
            weights=runtime.search.weights,
            plan=runtime.search.plan,
            limits=runtime.search.limits,
        )
        query = SearchQuery(
            tenant_id=tenant, query="garden", mode=SearchMode.vector, conversation_id=external_id
        )
        assert len((await service.search(query)).hits) == 10  # reads the UUID, counts the scope
        trace_file = tmp_path / "trace"
        with trace_file.open("w") as trace:
            async with db.connection() as conn:  # the pool's one connection
                conn.pgconn.trace(trace.fileno())
            outcome = await service.search(query)
            async with db.connection() as conn:
                conn.pgconn.untrace()
    finally:
        await db.close()
    assert len(outcome.hits) == 10
    sent = [line.split("\t")[3] for line in trace_file.read_text().splitlines() if "\tF\t" in line]
    assert sent[0] == "Query"  # the pool's check of the connection at checkout
    search = sent[1 : sent.index("Sync") + 1]
    # BEGIN, the tenant, the plan's settings, the statement, COMMIT, then Sync: nothing
    # waited for before (a Flush: a result read mid-pipeline, e.g. the conversation's UUID)
    assert search.count("Execute") == 5
    assert "Flush" not in search and "Query" not in search
