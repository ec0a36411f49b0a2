"""Conversations over HTTP: pagination without gaps or repeats, stats, delete."""

from __future__ import annotations

import uuid

import httpx

from tests.conftest import new_conversation
from tests.integration.batch import store_batch


async def test_pagination_visits_every_conversation_once(
    client: httpx.AsyncClient, tenant: str
) -> None:
    made = {await new_conversation(client, tenant, title=f"c{i}") for i in range(23)}
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        params = {"tenant_id": tenant, "limit": 5}
        if cursor:
            params["cursor"] = cursor
        body = (await client.get("/v1/conversations", params=params)).json()
        seen += [c["id"] for c in body["items"]]
        pages += 1
        # a conversation created mid-walk lands on page one, never in the middle
        if pages == 2:
            await new_conversation(client, tenant, title="late")
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == len(set(seen)) == 23
    assert set(seen) == made
    assert pages == 5


async def test_message_pages_are_in_reading_order(client: httpx.AsyncClient, tenant: str) -> None:
    conv = await new_conversation(client, tenant)
    items = [{"conversation_id": conv, "role": "user", "content": f"m{i}"} for i in range(12)]
    await client.post("/v1/messages/batch", json={"tenant_id": tenant, "items": items})
    contents: list[str] = []
    cursor = None
    while True:
        params = {"tenant_id": tenant, "limit": 5, **({"cursor": cursor} if cursor else {})}
        body = (await client.get(f"/v1/conversations/{conv}/messages", params=params)).json()
        contents += [m["content"] for m in body["items"]]
        cursor = body["next_cursor"]
        if not cursor:
            break
    # one batch without times: every message shares the transaction's time, so reading
    # order is the order they were sent in, across pages too
    assert contents == [f"m{i}" for i in range(12)]


async def _contents(
    client: httpx.AsyncClient, tenant: str, conv: str, cursor: str | None = None, limit: int = 4
) -> tuple[list[str], str | None]:
    params = {"tenant_id": tenant, "limit": limit, **({"cursor": cursor} if cursor else {})}
    response = await client.get(f"/v1/conversations/{conv}/messages", params=params)
    assert response.status_code == 200, response.text
    return [m["content"] for m in response.json()["items"]], response.json()["next_cursor"]


async def test_a_page_ending_on_a_deleted_message_resumes_without_skipping_any(
    client: httpx.AsyncClient, tenant: str
) -> None:
    conv = await new_conversation(client, tenant)
    ids = await store_batch(client, tenant, conv, [f"m{i}" for i in range(9)])
    first, cursor = await _contents(client, tenant, conv)
    assert first == ["m0", "m1", "m2", "m3"]
    gone = await client.delete(f"/v1/messages/{ids[3]}", params={"tenant_id": tenant})
    assert gone.status_code == 204
    rest: list[str] = []
    while cursor:
        page, cursor = await _contents(client, tenant, conv, cursor)
        rest += page
    # the cursor's message is gone: the walk resumes at the start of its time (the whole
    # batch shares one), so its ties come again and none is skipped
    assert rest == ["m0", "m1", "m2", "m4", "m5", "m6", "m7", "m8"]


async def test_conversation_crud_and_stats(client: httpx.AsyncClient, tenant: str) -> None:
    cid = str(uuid.uuid4())
    first = await client.post(
        "/v1/conversations", json={"tenant_id": tenant, "id": cid, "title": "Trip"}
    )
    again = await client.post(
        "/v1/conversations", json={"tenant_id": tenant, "id": cid, "title": "Trip"}
    )
    assert (first.status_code, again.status_code) == (201, 200)
    empty = (
        await client.get(f"/v1/conversations/{cid}/stats", params={"tenant_id": tenant})
    ).json()
    assert empty["message_count"] == 0 and empty["embedding_coverage"] is None
    items = [
        {"conversation_id": cid, "role": r, "content": "hello", "importance": imp}
        for r, imp in (("user", 0.2), ("user", 0.4), ("assistant", 0.6))
    ]
    await client.post("/v1/messages/batch", json={"tenant_id": tenant, "items": items})
    stats = (
        await client.get(f"/v1/conversations/{cid}/stats", params={"tenant_id": tenant})
    ).json()
    assert stats["message_count"] == 3
    assert stats["by_role"] == {"user": 2, "assistant": 1}
    assert abs(stats["mean_importance"] - 0.4) < 1e-6
    assert stats["embedding_coverage"] == 1.0
    assert stats["first_message_at"] <= stats["last_message_at"]

    renamed = await client.put(
        f"/v1/conversations/{cid}", json={"tenant_id": tenant, "title": "Trip to Porto"}
    )
    assert renamed.json()["title"] == "Trip to Porto"
    deleted = await client.delete(f"/v1/conversations/{cid}", params={"tenant_id": tenant})
    assert deleted.json() == {"id": cid, "external_id": None, "deleted_messages": 3}
    assert (
        await client.get(f"/v1/conversations/{cid}", params={"tenant_id": tenant})
    ).status_code == 404
    other = await client.get(f"/v1/conversations/{cid}/stats", params={"tenant_id": tenant})
    assert other.status_code == 404 and other.json()["code"] == "conversation_not_found"
