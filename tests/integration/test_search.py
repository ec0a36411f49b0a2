"""Search on the real database and the real local model."""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from fastapi import FastAPI

from memory_mesh.domain.models import SearchMode, SearchQuery
from memory_mesh.runtime import Runtime
from memory_mesh.services.search import SearchService
from tests.conftest import http_client, make_tenant, new_conversation
from tests.integration.search_support import service_with_exact_limit

FACTS = [
    "I am severely allergic to peanuts and tree nuts.",
    "The quarterly sales report is due next Friday.",
    "Our dog Biscuit loves chasing tennis balls in the park.",
    "The wifi password for the office is on the fridge.",
    "My favourite holiday destination is the coast of Portugal.",
]


async def _store(
    client: httpx.AsyncClient, tenant: str, conv: str, texts: list[str], **extra: object
) -> list[str]:
    items = [{"conversation_id": conv, "role": "user", "content": t, **extra} for t in texts]
    body = (
        await client.post("/v1/messages/batch", json={"tenant_id": tenant, "items": items})
    ).json()
    assert body["failed"] == 0, body
    return [r["id"] for r in body["results"]]


def _hybrid_relevance(w: Any, s: dict[str, Any]) -> float:
    """domain/ranking.py: the weighted sum of similarity and the normalised BM25."""
    h = w.hybrid_keyword_share
    return float((1 - h) * (s["similarity"] or 0) + h * (s["keyword"] or 0))


async def test_a_paraphrase_sharing_no_words_finds_its_message_first(
    client: httpx.AsyncClient, tenant: str
) -> None:
    conv = await new_conversation(client, tenant)
    ids = await _store(client, tenant, conv, FACTS)
    for mode in ("vector", "hybrid"):
        response = await client.get(
            "/v1/memory/search",
            params={
                "tenant_id": tenant,
                "query": "which foods could give me a reaction?",
                "mode": mode,
                "top_k": 5,
            },
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["plan"] == "exact" and body["mode"] == mode
        results = body["results"]
        assert results[0]["message"]["id"] == ids[0], [r["message"]["content"] for r in results]
        assert results[0]["scores"]["similarity"] > results[1]["scores"]["similarity"] + 0.1
        scores = [r["scores"]["score"] for r in results]
        assert scores == sorted(scores, reverse=True)


def _server_timing(response: httpx.Response) -> dict[str, float]:
    """The Server-Timing header's parts and their durations (ms)."""
    parts = {}
    for item in response.headers["server-timing"].split(","):
        name, duration = item.strip().split(";dur=")
        parts[name] = float(duration)
    return parts


async def test_a_search_answer_says_where_its_time_went(
    client: httpx.AsyncClient, tenant: str
) -> None:
    conv = await new_conversation(client, tenant)
    await _store(client, tenant, conv, FACTS[:2])
    params = {"tenant_id": tenant, "query": "a brand new question about peanuts"}
    # a new text: the model embeds it; vector and hybrid report it beside the database
    for mode in ("vector", "hybrid"):
        response = await client.get("/v1/memory/search", params=params | {"mode": mode})
        assert response.status_code == 200, response.text
        timing = _server_timing(response)
        assert set(timing) == {"embedding", "database"}
        assert all(ms > 0 for ms in timing.values())
    # keyword mode embeds nothing; the POST form answers the same header
    response = await client.post("/v1/memory/search", json=params | {"mode": "keyword"})
    assert response.status_code == 200, response.text
    assert set(_server_timing(response)) == {"database"}


async def test_score_parts_follow_the_documented_formula(
    client: httpx.AsyncClient, runtime: Runtime, tenant: str
) -> None:
    conv = await new_conversation(client, tenant)
    old = (datetime.now(UTC) - timedelta(days=60)).isoformat()
    await _store(client, tenant, conv, ["Lisbon trams are yellow."], created_at=old)
    body = (
        await client.get(
            "/v1/memory/search",
            params={"tenant_id": tenant, "query": "Lisbon trams", "mode": "hybrid"},
        )
    ).json()
    s = body["results"][0]["scores"]
    w = runtime.search.weights
    # the one message is first in both candidate lists; relevance sums its two scores
    assert s["vector_rank"] == 1 and s["keyword_rank"] == 1
    assert abs(s["relevance"] - _hybrid_relevance(w, s)) < 1e-5
    # importance and recency scale relevance (domain/ranking.py)
    expected = s["relevance"] * (
        w.relevance + w.importance * s["importance"] + w.recency * s["recency"]
    )
    assert abs(s["score"] - expected) < 1e-5
    assert abs(s["recency"] - 0.5 ** (60 / w.half_life_days)) < 1e-3
    assert s["keyword"] > 0


async def test_hybrid_relevance_sums_similarity_and_keyword_score_with_the_keyword_share(
    client: httpx.AsyncClient, runtime: Runtime, tenant: str
) -> None:
    conv = await new_conversation(client, tenant)
    texts = [
        "The city's old streetcars climb steep hills.",  # by meaning, no shared word
        "Lisbon has many hills.",  # one shared word
        "Trams in Lisbon: tram 28 is the famous tram line.",  # most shared words
        "Quarterly invoices are due on Friday.",  # unrelated
    ]
    await _store(client, tenant, conv, texts)
    body = (
        await client.get(
            "/v1/memory/search",
            params={"tenant_id": tenant, "query": "Lisbon tram", "mode": "hybrid", "top_k": 4},
        )
    ).json()
    w = runtime.search.weights
    ranks = set()
    for result in body["results"]:
        s = result["scores"]
        assert abs(s["relevance"] - _hybrid_relevance(w, s)) < 1e-5, s
        ranks.add((s["vector_rank"], s["keyword_rank"]))
    # the keyword list holds the two messages sharing a word, then the one whose context
    # (the message before it) shares them; all four are vector hits
    assert sorted(r[1] for r in ranks if r[1] is not None) == [1, 2, 3]
    by_content = {r["message"]["content"]: r["scores"] for r in body["results"]}
    assert by_content[texts[3]]["keyword_rank"] > by_content[texts[2]]["keyword_rank"] == 1
    assert by_content[texts[0]]["keyword_rank"] is None
    assert sorted(r[0] for r in ranks) == [1, 2, 3, 4]
    assert body["results"][0]["message"]["content"].startswith("Trams in Lisbon")


async def test_recency_and_importance_break_ties_between_equal_texts(
    client: httpx.AsyncClient, tenant: str
) -> None:
    conv = await new_conversation(client, tenant)
    old = (datetime.now(UTC) - timedelta(days=365)).isoformat()
    [old_id] = await _store(client, tenant, conv, ["meeting moved to room 4"], created_at=old)
    [new_id] = await _store(client, tenant, conv, ["meeting moved to room 4"])
    [vip_id] = await _store(
        client, tenant, conv, ["meeting moved to room 4"], importance=1.0, created_at=old
    )
    results = (
        await client.get(
            "/v1/memory/search",
            params={"tenant_id": tenant, "query": "where is the meeting", "mode": "vector"},
        )
    ).json()["results"]
    order = [r["message"]["id"] for r in results]
    assert order.index(new_id) < order.index(old_id)
    assert order.index(vip_id) < order.index(old_id)


async def test_filters_archive_and_min_score(client: httpx.AsyncClient, tenant: str) -> None:
    conv_a = await new_conversation(client, tenant)
    conv_b = await new_conversation(client, tenant)
    [a1] = await _store(
        client, tenant, conv_a, ["I take the train to work"], metadata={"topic": "commute", "n": 1}
    )
    [b1] = await _store(
        client, tenant, conv_b, ["I ride my bike to work"], metadata={"topic": "commute", "n": 2}
    )
    [b2] = await _store(client, tenant, conv_b, ["work starts at nine"])

    async def ids(**params: object) -> list[str]:
        response = await client.get(
            "/v1/memory/search",
            params={"tenant_id": tenant, "query": "how do I get to work", **params},
        )
        assert response.status_code == 200, response.text
        return [r["message"]["id"] for r in response.json()["results"]]

    assert set(await ids()) == {a1, b1, b2}
    assert set(await ids(conversation_id=conv_b)) == {b1, b2}
    assert set(await ids(metadata='{"topic": "commute"}')) == {a1, b1}
    assert set(await ids(metadata='{"n": 2}')) == {b1}
    assert set(await ids(role="assistant")) == set()
    assert (
        set(await ids(created_after=(datetime.now(UTC) + timedelta(hours=1)).isoformat())) == set()
    )
    assert await ids(min_score=0.99) == []

    await client.put(f"/v1/messages/{a1}", json={"tenant_id": tenant, "archived": True})
    assert a1 not in await ids()
    assert a1 in await ids(include_archived="true")


async def test_updates_and_deletes_are_reflected_in_search(
    client: httpx.AsyncClient, tenant: str
) -> None:
    conv = await new_conversation(client, tenant)
    [mid] = await _store(client, tenant, conv, ["the spare key is under the flower pot"])
    q = {"tenant_id": tenant, "query": "where did I hide the spare key", "mode": "vector"}
    first = (await client.get("/v1/memory/search", params=q)).json()["results"][0]
    await client.put(
        f"/v1/messages/{mid}", json={"tenant_id": tenant, "content": "we adopted a grey kitten"}
    )
    after = (await client.get("/v1/memory/search", params=q)).json()["results"][0]
    assert after["message"]["content"] == "we adopted a grey kitten"
    assert after["scores"]["similarity"] < first["scores"]["similarity"] - 0.2
    await client.delete(f"/v1/messages/{mid}", params={"tenant_id": tenant})
    assert (await client.get("/v1/memory/search", params=q)).json()["results"] == []


async def test_keyword_mode_finds_messages_still_awaiting_embedding(
    runtime: Runtime, client: httpx.AsyncClient, tenant: str
) -> None:
    conv = await new_conversation(client, tenant)
    from uuid import UUID

    from memory_mesh.domain.models import Role
    from memory_mesh.services.messages import MessageInput

    service = runtime.messages
    service.inline = False  # async mode: stored, not yet embedded (worker not running here)
    try:
        message, _ = await service.create(
            tenant,
            MessageInput(
                conversation_id=UUID(conv), role=Role.user, content="zebra crossing on Elm street"
            ),
        )
    finally:
        service.inline = True
    assert message.embedding_status.value == "pending"
    body = (
        await client.get(
            "/v1/memory/search",
            params={"tenant_id": tenant, "query": "zebra crossing", "mode": "keyword"},
        )
    ).json()
    assert [r["message"]["id"] for r in body["results"]] == [str(message.id)]
    assert body["results"][0]["scores"]["similarity"] is None
    vector = (
        await client.get(
            "/v1/memory/search",
            params={"tenant_id": tenant, "query": "zebra crossing", "mode": "vector"},
        )
    ).json()
    assert vector["results"] == []
    await runtime.pipeline.embed_due()


async def test_large_scope_uses_hnsw_and_agrees_with_exact(
    runtime: Runtime, client: httpx.AsyncClient, tenant: str
) -> None:
    conv = await new_conversation(client, tenant)
    texts = [f"fact {i}: {FACTS[i % len(FACTS)]} variant {i * 7 % 13}" for i in range(60)]
    await _store(client, tenant, conv, texts)
    query = SearchQuery(tenant_id=tenant, query="nut allergy", top_k=5, mode=SearchMode.vector)
    exact = await runtime.search.search(query)
    approx = await service_with_exact_limit(runtime, 10).search(query)
    assert (exact.plan, approx.plan) == ("exact", "hnsw")
    assert [h.message.id for h in approx.hits] == [h.message.id for h in exact.hits]
    assert all(
        math.isclose(a.scores.score, e.scores.score, abs_tol=1e-6)
        for a, e in zip(approx.hits, exact.hits, strict=True)
    )


async def test_a_conversation_inside_a_large_table_is_searched_exactly(
    runtime: Runtime, database_url: str, tenant: str
) -> None:
    """A conversation is a thin slice of the HNSW graph: it stays on the exact plan up to
    sqrt(exact_max_rows * rows in the table) rows, a tenant scope only up to the limit."""
    from uuid import UUID

    import psycopg

    from tests.integration import seed

    now = datetime.now(UTC)
    small = await seed.conversation(runtime, tenant)
    other = await seed.conversation(runtime, tenant)
    await seed.insert(runtime, tenant, [seed.Row(small, now) for _ in range(40)])
    await seed.insert(runtime, tenant, [seed.Row(other, now) for _ in range(130)])
    with psycopg.connect(database_url, autocommit=True) as admin:
        admin.execute("analyze messages")  # the planner's row count, which the rule reads
    service = service_with_exact_limit(runtime, 10)
    in_conversation = SearchQuery(
        tenant_id=tenant, query="anything", mode=SearchMode.vector, conversation_id=UUID(small)
    )
    # 40 rows <= sqrt(10 * at least 170 rows in the table) = 41: exact
    assert (await service.search(in_conversation)).plan == "exact"
    # the tenant's 170 rows > 10: HNSW
    whole = replace(in_conversation, conversation_id=None)
    assert (await service.search(whole)).plan == "hnsw"


async def test_a_scopes_plan_is_not_counted_again_while_remembered(
    runtime: Runtime, client: httpx.AsyncClient, tenant: str, monkeypatch: Any
) -> None:
    """Counting a scope to learn that it is large costs as much as the search it leads
    to: the service remembers a large scope's plan (for large_scope_seconds) and a small
    one's (for small_scope_seconds: the exact plan is complete whatever the scope has
    grown to meanwhile); with 0 seconds it counts every time."""
    from memory_mesh.services import search as search_service
    from tests.integration import seed

    conv = await new_conversation(client, tenant)
    await _store(client, tenant, conv, [f"fact {i}: {FACTS[i % len(FACTS)]}" for i in range(30)])
    counted: list[str] = []
    real_scope_size = search_service.store.scope_size

    async def counting(conn: Any, query: SearchQuery, cap: int, **options: Any) -> Any:
        counted.append(query.tenant_id)
        return await real_scope_size(conn, query, cap, **options)

    monkeypatch.setattr(search_service.store, "scope_size", counting)

    def service(large: float, small: float) -> SearchService:
        return service_with_exact_limit(
            runtime, 10, large_scope_seconds=large, small_scope_seconds=small
        )

    query = SearchQuery(tenant_id=tenant, query="nut allergy", mode=SearchMode.vector, top_k=5)
    remembering = service(60.0, 60.0)
    first = await remembering.search(query)
    again = await remembering.search(query)
    assert (first.plan, again.plan) == ("hnsw", "hnsw")
    assert counted == [tenant]  # the second search took the remembered plan
    assert len(first.hits) == 5
    assert [h.message.id for h in again.hits] == [h.message.id for h in first.hits]
    # a small scope's exact plan is remembered too
    other, _ = await make_tenant(runtime)
    small = await seed.conversation(runtime, other)
    await seed.insert(runtime, other, [seed.Row(small, datetime.now(UTC)) for _ in range(3)])
    small_query = replace(query, tenant_id=other)
    for _ in range(2):
        assert (await remembering.search(small_query)).plan == "exact"
    assert counted == [tenant, other]
    # counted again once forgotten: grown past the limit, the scope takes the HNSW plan
    await seed.insert(runtime, other, [seed.Row(small, datetime.now(UTC)) for _ in range(20)])
    assert (await remembering.search(small_query)).plan == "exact"  # still remembered
    forgetting = service(0.0, 0.0)
    assert (await forgetting.search(small_query)).plan == "hnsw"
    for _ in range(2):
        assert (await forgetting.search(query)).plan == "hnsw"
    assert counted == [tenant, other, other, tenant, tenant]


async def test_tenants_never_see_each_other(
    client: httpx.AsyncClient, tenant: str, runtime: Runtime, app: FastAPI
) -> None:
    other, other_key = await make_tenant(runtime)
    async with http_client(app, other_key) as other_client:
        conv = await new_conversation(other_client, other)
        await _store(other_client, other, conv, FACTS)
    body = (
        await client.get(
            "/v1/memory/search", params={"tenant_id": tenant, "query": "peanut allergy"}
        )
    ).json()
    assert body["results"] == []
    refused = await client.get(
        "/v1/memory/search", params={"tenant_id": other, "query": "peanut allergy"}
    )
    assert refused.status_code == 403 and refused.json()["code"] == "tenant_forbidden"


async def _search(
    client: httpx.AsyncClient, tenant: str, query: str, mode: str
) -> list[dict[str, Any]]:
    response = await client.get(
        "/v1/memory/search",
        params={"tenant_id": tenant, "query": query, "mode": mode, "top_k": 5},
    )
    assert response.status_code == 200, response.text
    results: list[dict[str, Any]] = response.json()["results"]
    return results


async def test_keyword_mode_finds_a_message_holding_only_some_of_the_question_words(
    client: httpx.AsyncClient, tenant: str
) -> None:
    conv = await new_conversation(client, tenant)
    ids = await _store(client, tenant, conv, FACTS)
    # "beach", "afternoons" and "usually" are in no message: the question's words are ORed,
    # not all required, and the message holding more of them ranks first
    question = "Does our dog usually love chasing tennis balls on the beach in the afternoons?"
    for mode in ("keyword", "hybrid"):
        results = await _search(client, tenant, question, mode)
        assert results and results[0]["message"]["id"] == ids[2], (mode, results)
        assert results[0]["scores"]["keyword"] > 0
    keyword = {
        r["message"]["id"]: r["scores"]["keyword"]
        for r in await _search(client, tenant, "dog park holiday", "keyword")
    }
    # a message without any of the words, in itself or in its context (the message before
    # it: ids[3] follows the dog's), is no hit
    assert set(keyword) == {ids[2], ids[3], ids[4]}
    assert keyword[ids[2]] > keyword[ids[4]] > 0  # two of the words (dog, park) beat one


async def test_keyword_queries_without_searchable_words_return_no_keyword_hits(
    client: httpx.AsyncClient, tenant: str
) -> None:
    conv = await new_conversation(client, tenant)
    await _store(client, tenant, conv, FACTS)
    for query in ("the of and it is", "?!... ---", "& | ! <-> :* ( )", "''''"):
        assert await _search(client, tenant, query, "keyword") == [], query
        hybrid = await _search(client, tenant, query, "hybrid")  # the vector half still ranks
        assert all(r["scores"]["keyword"] == 0 for r in hybrid), query


async def test_keyword_query_syntax_is_read_as_plain_words(
    client: httpx.AsyncClient, tenant: str
) -> None:
    conv = await new_conversation(client, tenant)
    ids = await _store(client, tenant, conv, FACTS)
    for query in (
        '"coast of Portugal" -holiday OR destination',
        "Portugal & (coast | !beach) <-> 'destination':*",
        "portugal'); drop table messages; --",
        "Portugal\\ \\' \\\" coast",
    ):
        results = await _search(client, tenant, query, "keyword")
        assert results and results[0]["message"]["id"] == ids[4], query
