"""Relevance carries the hit's own evidence (so ``min_score`` drops unrelated hits),
``reference_time`` moves recency's clock, and each message is embedded after the message
before it in its conversation: on the real database, model and HTTP app."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx

from memory_mesh.domain.embedding_text import embedding_text
from memory_mesh.runtime import Runtime
from tests.conftest import new_conversation

FACTS = [
    "I am severely allergic to peanuts and tree nuts.",
    "The quarterly sales report is due next Friday.",
    "Our dog Biscuit loves chasing tennis balls in the park.",
]
# README "How search ranks": the threshold that removes unrelated hits
DOCUMENTED_MIN_SCORE = 0.1


async def _store(
    client: httpx.AsyncClient, tenant: str, conv: str, texts: list[str], **extra: object
) -> list[str]:
    items = [{"conversation_id": conv, "role": "user", "content": t, **extra} for t in texts]
    body = (
        await client.post("/v1/messages/batch", json={"tenant_id": tenant, "items": items})
    ).json()
    assert body["failed"] == 0, body
    return [r["id"] for r in body["results"]]


async def _search(client: httpx.AsyncClient, tenant: str, **params: object) -> list[dict]:  # type: ignore[type-arg]
    response = await client.get("/v1/memory/search", params={"tenant_id": tenant, **params})
    assert response.status_code == 200, response.text
    return list(response.json()["results"])


async def test_an_unrelated_query_scores_low_and_the_documented_min_score_drops_it(
    client: httpx.AsyncClient, tenant: str
) -> None:
    conv = await new_conversation(client, tenant)
    ids = await _store(client, tenant, conv, FACTS)
    unrelated = await _search(client, tenant, query="lattice gauge theory of quarks", top_k=3)
    # rank fusion alone would give the first of three candidates a relevance near 1
    assert len(unrelated) == 3
    assert max(r["scores"]["relevance"] for r in unrelated) < 0.1, unrelated
    assert (
        await _search(
            client, tenant, query="lattice gauge theory of quarks", min_score=DOCUMENTED_MIN_SCORE
        )
        == []
    )
    related = await _search(
        client,
        tenant,
        query="which foods could give me a reaction?",
        min_score=DOCUMENTED_MIN_SCORE,
    )
    assert [r["message"]["id"] for r in related][:1] == [ids[0]]
    # by meaning alone (no shared word): relevance is 0.4 x its similarity
    assert related[0]["scores"]["keyword"] == 0
    assert related[0]["scores"]["relevance"] > 0.15


async def test_recency_and_importance_reorder_related_hits_but_never_lift_an_unrelated_one(
    client: httpx.AsyncClient, tenant: str
) -> None:
    """They scale relevance: a fresh message of importance 1 about something else stays
    below a year-old related one, and scores about its own (near zero) relevance."""
    conv = await new_conversation(client, tenant)
    year_ago = (datetime.now(UTC) - timedelta(days=365)).isoformat()
    [old_related] = await _store(
        client, tenant, conv, ["The boiler was serviced by the plumber."], created_at=year_ago
    )
    other = await new_conversation(client, tenant)  # no context from the boiler message
    [fresh_unrelated] = await _store(
        client, tenant, other, ["Our dog Biscuit loves the park."], importance=1.0
    )
    hits = await _search(client, tenant, query="when was the boiler serviced", mode="hybrid")
    order = [h["message"]["id"] for h in hits]
    assert order == [old_related, fresh_unrelated]
    fresh = hits[1]["scores"]
    assert fresh["recency"] > 0.99 and fresh["importance"] == 1.0
    assert fresh["score"] <= fresh["relevance"] < 0.1  # added, recency alone would give 0.1
    assert fresh["score"] < DOCUMENTED_MIN_SCORE <= hits[0]["scores"]["score"]
    # between two related hits of about the same relevance, the recent one comes first
    [fresh_related] = await _store(
        client, tenant, conv, ["The boiler was serviced by the plumber again."]
    )
    hits = await _search(client, tenant, query="when was the boiler serviced", mode="hybrid")
    assert [h["message"]["id"] for h in hits][:2] == [fresh_related, old_related]


async def test_reference_time_measures_recency_from_the_given_time(
    client: httpx.AsyncClient, runtime: Runtime, tenant: str
) -> None:
    conv = await new_conversation(client, tenant)
    then = datetime(2021, 3, 1, 12, tzinfo=UTC)
    await _store(client, tenant, conv, ["The boiler was serviced."], created_at=then.isoformat())
    half_life = runtime.search.weights.half_life_days
    for reference, expected in (
        (then, 1.0),
        (then + timedelta(days=half_life), 0.5),
        (then - timedelta(days=10), 1.0),  # "as of" before the message: not in the future
    ):
        [hit] = await _search(
            client, tenant, query="boiler service", reference_time=reference.isoformat()
        )
        assert abs(hit["scores"]["recency"] - expected) < 1e-3, reference
    [now] = await _search(client, tenant, query="boiler service")
    assert now["scores"]["recency"] < 0.01


async def test_a_message_thousands_of_half_lives_old_has_recency_zero_not_an_error(
    client: httpx.AsyncClient, tenant: str
) -> None:
    """power(0.5, x) underflows to an SQL error past ~1,074 half-lives: 1971 seen from 2999
    is over 11,000 half-lives of 30 days."""
    conv = await new_conversation(client, tenant)
    old = datetime(1971, 1, 1, tzinfo=UTC).isoformat()
    await _store(client, tenant, conv, ["The boiler was installed."], created_at=old)
    far = datetime(2999, 1, 1, tzinfo=UTC).isoformat()
    for mode in ("vector", "keyword", "hybrid"):
        [hit] = await _search(
            client, tenant, query="boiler installed", mode=mode, reference_time=far
        )
        assert hit["scores"]["recency"] == 0.0, mode


async def test_a_reply_is_found_by_the_words_of_the_message_it_answers(
    client: httpx.AsyncClient, runtime: Runtime, tenant: str
) -> None:
    conv = await new_conversation(client, tenant)
    day = datetime(2024, 5, 1, 9, tzinfo=UTC).isoformat()  # one timestamp: arrival orders
    turns = [
        "Where did you go on holiday this year?",
        "Portugal, the coast near Porto.",
        "We repainted the kitchen in May.",
    ]
    first, second, third = await _store(client, tenant, conv, turns, created_at=day)
    async with runtime.db.system() as conn:
        cur = await conn.execute(
            "select id::text, context from messages where id = any(%s::uuid[])",
            [[first, second, third]],
        )
        context = {r["id"]: r["context"] for r in await cur.fetchall()}
    assert context == {first: None, second: turns[0], third: turns[1]}
    # "holiday" is only in the question; its answer is found by keywords through its context
    hits = await _search(client, tenant, query="holiday", mode="keyword")
    assert [h["message"]["id"] for h in hits] == [first, second]
    assert hits[0]["scores"]["keyword"] > hits[1]["scores"]["keyword"]  # context: half weight


async def test_the_embedding_text_puts_the_context_first_when_enabled(
    runtime: Runtime,
) -> None:
    assert embedding_text("Yes, it was amazing!", None) == "Yes, it was amazing!"
    assert embedding_text("Yes!", " Did you like it? ") == "Did you like it?\nYes!"
    assert runtime.settings.embedding_context is False  # measured to lower recall: off


async def test_recontext_stores_every_message_context_again_for_one_tenant(
    client: httpx.AsyncClient, runtime: Runtime, tenant: str
) -> None:
    from memory_mesh.store import messages as message_store

    conv = await new_conversation(client, tenant)
    first, second = await _store(client, tenant, conv, ["The first message.", "The second."])

    async def contexts() -> dict[str, str | None]:
        async with runtime.db.system() as conn:
            cur = await conn.execute(
                "select id::text, context from messages where tenant_id = %s", [tenant]
            )
            return {r["id"]: r["context"] for r in await cur.fetchall()}

    assert await contexts() == {first: None, second: "The first message."}
    hits = await _search(client, tenant, query="first", mode="keyword")
    assert [h["message"]["id"] for h in hits] == [first, second]  # second: by its context
    async with runtime.db.system() as conn:  # what `memory-mesh recontext` runs
        assert await message_store.set_context(conn, ids=None, chars=8, tenant_id=tenant) == 1
    assert await contexts() == {first: None, second: "message."}
    hits = await _search(client, tenant, query="first", mode="keyword")
    assert [h["message"]["id"] for h in hits] == [first]
    async with runtime.db.system() as conn:
        assert await message_store.set_context(conn, ids=None, chars=0, tenant_id=tenant) == 1
    assert await contexts() == {first: None, second: None}
