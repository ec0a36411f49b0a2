"""Messages over the HTTP API (in-process ASGI) on the real database and model."""

from __future__ import annotations

import uuid

import httpx
from fastapi import FastAPI

from memory_mesh.runtime import Runtime
from tests.conftest import http_client, make_tenant, new_conversation


async def test_store_read_update_delete_a_message(client: httpx.AsyncClient, tenant: str) -> None:
    conv = await new_conversation(client, tenant)
    created = await client.post(
        "/v1/messages",
        json={
            "tenant_id": tenant,
            "conversation_id": conv,
            "role": "user",
            "content": "My daughter's name is Ada.",
            "metadata": {"topic": "family"},
        },
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["embedding"]["status"] == "ready"  # inline mode embeds before answering
    assert body["embedding"]["dimensions"] == 384
    assert 0 < body["importance"] <= 1 and body["importance_explicit"] is False
    mid = body["id"]

    got = await client.get(f"/v1/messages/{mid}", params={"tenant_id": tenant})
    assert got.status_code == 200 and got.json()["content"] == "My daughter's name is Ada."

    changed = await client.put(
        f"/v1/messages/{mid}",
        json={"tenant_id": tenant, "content": "My son's name is Alan.", "importance": 0.9},
    )
    assert changed.status_code == 200, changed.text
    after = changed.json()
    assert after["content"] == "My son's name is Alan."
    assert after["importance"] == 0.9 and after["importance_explicit"] is True
    assert after["embedding"]["status"] == "ready"
    assert after["metadata"] == {"topic": "family"}  # untouched fields stay

    deleted = await client.delete(f"/v1/messages/{mid}", params={"tenant_id": tenant})
    assert deleted.status_code == 204
    gone = await client.get(f"/v1/messages/{mid}", params={"tenant_id": tenant})
    assert gone.status_code == 404 and gone.json()["code"] == "message_not_found"


async def test_a_retried_create_with_the_same_id_stores_once(
    client: httpx.AsyncClient, tenant: str
) -> None:
    conv = await new_conversation(client, tenant)
    payload = {
        "tenant_id": tenant,
        "conversation_id": conv,
        "role": "user",
        "content": "retry me",
        "id": str(uuid.uuid4()),
    }
    first = await client.post("/v1/messages", json=payload)
    second = await client.post("/v1/messages", json=payload)
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json()["id"] == second.json()["id"]
    page = await client.get(f"/v1/conversations/{conv}/messages", params={"tenant_id": tenant})
    assert len(page.json()["items"]) == 1


async def test_an_id_of_another_tenant_is_a_conflict_not_a_leak(
    client: httpx.AsyncClient, tenant: str, runtime: Runtime, app: FastAPI
) -> None:
    other, other_key = await make_tenant(runtime)
    conv_a = await new_conversation(client, tenant)
    mid = str(uuid.uuid4())
    ok = await client.post(
        "/v1/messages",
        json={
            "tenant_id": tenant,
            "conversation_id": conv_a,
            "role": "user",
            "content": "a secret of tenant A",
            "id": mid,
        },
    )
    assert ok.status_code == 201
    async with http_client(app, other_key) as other_client:
        conv_b = await new_conversation(other_client, other)
        clash = await other_client.post(
            "/v1/messages",
            json={"conversation_id": conv_b, "role": "user", "content": "b", "id": mid},
        )
        assert clash.status_code == 409 and clash.json()["code"] == "message_id_taken"
        assert "secret" not in clash.text
        read = await other_client.get(f"/v1/messages/{mid}")
        assert read.status_code == 404


async def test_batch_of_500_is_stored_and_embedded_with_per_item_results(
    client: httpx.AsyncClient, tenant: str
) -> None:
    conv = await new_conversation(client, tenant)
    items = [
        {
            "conversation_id": conv,
            "role": "user" if i % 2 else "assistant",
            "content": f"note number {i} about topic {i % 7}",
        }
        for i in range(500)
    ]
    response = await client.post("/v1/messages/batch", json={"tenant_id": tenant, "items": items})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["succeeded"] == 500 and body["failed"] == 0
    assert [r["index"] for r in body["results"]] == list(range(500))
    assert all(r["message"]["embedding"]["status"] == "ready" for r in body["results"])
    stats = await client.get(f"/v1/conversations/{conv}/stats", params={"tenant_id": tenant})
    figures = stats.json()
    assert figures["message_count"] == 500 and figures["embedding_coverage"] == 1.0
    assert figures["by_role"] == {"user": 250, "assistant": 250}


async def test_batch_reports_bad_items_and_stores_the_good_ones(
    client: httpx.AsyncClient, tenant: str
) -> None:
    conv = await new_conversation(client, tenant)
    items = [
        {"conversation_id": conv, "role": "user", "content": "fine"},
        {"conversation_id": conv, "role": "user", "content": "   "},
        {"conversation_id": str(uuid.uuid4()), "role": "user", "content": "lost conversation"},
        {"conversation_id": conv, "role": "user", "content": "x" * 40_000},
    ]
    body = (
        await client.post("/v1/messages/batch", json={"tenant_id": tenant, "items": items})
    ).json()
    assert [r["status"] for r in body["results"]] == ["created", "error", "error", "error"]
    assert [r["error"]["code"] for r in body["results"][1:]] == [
        "content_empty",
        "conversation_not_found",
        "content_too_long",
    ]
    assert body["succeeded"] == 1 and body["failed"] == 3


async def test_batch_update_and_delete(client: httpx.AsyncClient, tenant: str) -> None:
    conv = await new_conversation(client, tenant)
    items = [{"conversation_id": conv, "role": "user", "content": f"item {i}"} for i in range(5)]
    created = (
        await client.post("/v1/messages/batch", json={"tenant_id": tenant, "items": items})
    ).json()
    ids = [r["id"] for r in created["results"]]
    missing = str(uuid.uuid4())
    update = await client.put(
        "/v1/messages/batch/update",
        json={
            "tenant_id": tenant,
            "items": [
                {"id": ids[0], "archived": True},
                {"id": ids[1], "content": "rewritten"},
                {"id": missing, "importance": 0.5},
            ],
        },
    )
    assert update.status_code == 200, update.text
    results = update.json()["results"]
    assert [r["status"] for r in results] == ["updated", "updated", "error"]
    assert results[0]["message"]["archived"] is True
    assert results[1]["message"]["content"] == "rewritten"
    assert results[1]["message"]["embedding"]["status"] == "ready"
    assert results[2]["error"]["code"] == "message_not_found"

    delete = await client.request(
        "DELETE", "/v1/messages/batch", json={"tenant_id": tenant, "ids": [ids[2], ids[3], missing]}
    )
    assert [r["status"] for r in delete.json()["results"]] == ["deleted", "deleted", "error"]
    page = await client.get(
        f"/v1/conversations/{conv}/messages", params={"tenant_id": tenant, "include_archived": True}
    )
    assert {m["id"] for m in page.json()["items"]} == {ids[0], ids[1], ids[4]}
