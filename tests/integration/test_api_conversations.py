"""Conversations over HTTP: pagination without gaps or repeats, stats, delete."""

from __future__ import annotations

import uuid

import httpx

from tests.conftest import new_conversation


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
    assert sorted(contents) == sorted(f"m{i}" for i in range(12))
    assert len(contents) == 12


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
