"""The Idempotency-Key header on message / batch / conversation creation, over the HTTP
API on the real database: a retry replays the first answer and stores nothing twice."""

from __future__ import annotations

import asyncio
import uuid

import httpx
from fastapi import FastAPI

from memory_mesh.runtime import Runtime
from tests.conftest import http_client, make_tenant, new_conversation


async def _count_messages(runtime: Runtime, tenant: str, conversation: str) -> int:
    async with runtime.db.tenant(tenant) as conn:
        cur = await conn.execute(
            "select count(*) as n from messages where conversation_id = %s", [conversation]
        )
        row = await cur.fetchone()
    assert row is not None
    return int(row["n"])


def _message(tenant: str, conv: str, content: str = "I prefer window seats") -> dict[str, str]:
    return {"tenant_id": tenant, **_item(conv, content)}


def _item(conv: str, content: str = "I prefer window seats") -> dict[str, str]:
    return {"conversation_id": conv, "role": "user", "content": content}


async def test_a_retry_with_the_same_key_replays_the_first_answer_and_stores_once(
    client: httpx.AsyncClient, tenant: str, runtime: Runtime
) -> None:
    conv = await new_conversation(client, tenant)
    key = {"Idempotency-Key": f"k-{uuid.uuid4()}"}
    first = await client.post("/v1/messages", json=_message(tenant, conv), headers=key)
    again = await client.post("/v1/messages", json=_message(tenant, conv), headers=key)
    assert first.status_code == 201, first.text
    assert again.status_code == 201 and again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    assert await _count_messages(runtime, tenant, conv) == 1


async def test_the_same_key_with_another_body_is_refused(
    client: httpx.AsyncClient, tenant: str, runtime: Runtime
) -> None:
    conv = await new_conversation(client, tenant)
    key = {"Idempotency-Key": f"k-{uuid.uuid4()}"}
    assert (await client.post("/v1/messages", json=_message(tenant, conv), headers=key)).is_success
    other = await client.post("/v1/messages", json=_message(tenant, conv, "other"), headers=key)
    assert other.status_code == 422 and other.json()["code"] == "idempotency_key_reused"
    # another endpoint with the same key is another request too
    batch = await client.post(
        "/v1/messages/batch",
        json={"tenant_id": tenant, "items": [_item(conv)]},
        headers=key,
    )
    assert batch.status_code == 422 and batch.json()["code"] == "idempotency_key_reused"
    assert await _count_messages(runtime, tenant, conv) == 1


async def test_concurrent_duplicates_execute_once(
    client: httpx.AsyncClient, tenant: str, runtime: Runtime
) -> None:
    conv = await new_conversation(client, tenant)
    key = {"Idempotency-Key": f"k-{uuid.uuid4()}"}
    answers = await asyncio.gather(
        *(client.post("/v1/messages", json=_message(tenant, conv), headers=key) for _ in range(8))
    )
    statuses = sorted(a.status_code for a in answers)
    assert set(statuses) <= {201, 409}, [a.text for a in answers]
    assert statuses.count(201) >= 1
    for answer in answers:
        if answer.status_code == 409:
            assert answer.json()["code"] == "request_in_progress"
            assert answer.headers["retry-after"] == "1"
    ids = {a.json()["id"] for a in answers if a.status_code == 201}
    assert len(ids) == 1
    assert await _count_messages(runtime, tenant, conv) == 1


async def test_a_retried_batch_replays_its_per_item_results(
    client: httpx.AsyncClient, tenant: str, runtime: Runtime
) -> None:
    conv = await new_conversation(client, tenant)
    key = {"Idempotency-Key": f"batch-{uuid.uuid4()}"}
    body = {
        "tenant_id": tenant,
        "items": [_item(conv, f"fact number {i}") for i in range(5)]
        + [{"conversation_id": conv, "role": "user", "content": ""}],  # an item error
    }
    first = await client.post("/v1/messages/batch", json=body, headers=key)
    again = await client.post("/v1/messages/batch", json=body, headers=key)
    assert first.status_code == 200, first.text
    assert first.json()["succeeded"] == 5 and first.json()["failed"] == 1
    assert again.status_code == 200 and again.json() == first.json()
    assert await _count_messages(runtime, tenant, conv) == 5


async def test_a_failed_request_releases_its_key(
    client: httpx.AsyncClient, tenant: str, runtime: Runtime
) -> None:
    conv = str(uuid.uuid4())  # not created yet
    key = {"Idempotency-Key": f"k-{uuid.uuid4()}"}
    missing = await client.post("/v1/messages", json=_message(tenant, conv), headers=key)
    assert missing.status_code == 404
    created = await client.post("/v1/conversations", json={"tenant_id": tenant, "id": conv})
    assert created.status_code == 201, created.text
    retried = await client.post("/v1/messages", json=_message(tenant, conv), headers=key)
    assert retried.status_code == 201, retried.text
    assert await _count_messages(runtime, tenant, conv) == 1


async def test_keys_are_per_tenant(app: FastAPI, runtime: Runtime) -> None:
    key = {"Idempotency-Key": "shared-key-between-tenants"}
    answers = []
    for _ in range(2):
        tenant, api_key = await make_tenant(runtime)
        async with http_client(app, api_key) as http:
            conv = await new_conversation(http, tenant)
            answers.append(
                await http.post("/v1/messages", json=_message(tenant, conv), headers=key)
            )
    assert [a.status_code for a in answers] == [201, 201]
    assert answers[0].json()["id"] != answers[1].json()["id"]


async def test_a_keyed_conversation_create_is_replayed(
    client: httpx.AsyncClient, tenant: str
) -> None:
    key = {"Idempotency-Key": f"conv-{uuid.uuid4()}"}
    body = {"tenant_id": tenant, "title": "support"}
    first = await client.post("/v1/conversations", json=body, headers=key)
    again = await client.post("/v1/conversations", json=body, headers=key)
    assert first.status_code == 201 and again.status_code == 201
    assert again.json()["id"] == first.json()["id"]


async def test_a_malformed_key_is_a_4xx(client: httpx.AsyncClient, tenant: str) -> None:
    conv = await new_conversation(client, tenant)
    bad = await client.post(
        "/v1/messages", json=_message(tenant, conv), headers={"Idempotency-Key": "x" * 300}
    )
    assert bad.status_code == 422 and bad.json()["code"] == "validation_error"


async def test_the_key_table_is_tenant_scoped_by_row_level_security(
    client: httpx.AsyncClient, tenant: str, runtime: Runtime
) -> None:
    conv = await new_conversation(client, tenant)
    key = f"k-{uuid.uuid4()}"
    await client.post("/v1/messages", json=_message(tenant, conv), headers={"Idempotency-Key": key})
    async with runtime.db.tenant("some-other-tenant") as conn:
        cur = await conn.execute("select count(*) as n from idempotency_keys")  # no filter
        row = await cur.fetchone()
    assert row is not None and row["n"] == 0
