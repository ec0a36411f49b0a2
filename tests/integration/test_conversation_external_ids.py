"""The client's own conversation ids (``user-123``) on the real database and model: the
first message creates the conversation (once, even when racing), every conversation path
takes either id, and every answer carries both."""

from __future__ import annotations

import asyncio
import json
import uuid

import httpx
from fastapi import FastAPI

from memory_mesh.runtime import Runtime
from tests.conftest import http_client, make_tenant

NDJSON = {"content-type": "application/x-ndjson"}


async def _conversation_rows(runtime: Runtime, tenant: str, external_id: str) -> list[uuid.UUID]:
    async with runtime.db.system() as conn:
        cur = await conn.execute(
            "select id from conversations where tenant_id = %s and external_id = %s",
            [tenant, external_id],
        )
        return [row["id"] for row in await cur.fetchall()]


async def test_the_first_message_naming_an_own_id_creates_the_conversation(
    client: httpx.AsyncClient, tenant: str, runtime: Runtime
) -> None:
    first = await client.post(
        "/v1/messages",
        json={"conversation_id": "user-123", "role": "user", "content": "I like green tea"},
    )
    assert first.status_code == 201, first.text
    body = first.json()
    assert body["conversation_external_id"] == "user-123"
    server_id = body["conversation_id"]
    assert str(uuid.UUID(server_id)) == server_id
    second = await client.post(
        "/v1/messages",
        json={"conversation_id": "user-123", "role": "assistant", "content": "Noted: tea."},
    )
    assert second.json()["conversation_id"] == server_id
    # the server's id names the same conversation
    third = await client.post(
        "/v1/messages", json={"conversation_id": server_id, "role": "user", "content": "and you?"}
    )
    assert third.json()["conversation_external_id"] == "user-123"
    assert await _conversation_rows(runtime, tenant, "user-123") == [uuid.UUID(server_id)]
    listed = (await client.get("/v1/conversations")).json()["items"]
    assert [(c["id"], c["external_id"]) for c in listed] == [(server_id, "user-123")]


async def test_concurrent_first_messages_create_one_conversation(
    app: FastAPI, tenant_and_key: tuple[str, str], runtime: Runtime
) -> None:
    tenant, key = tenant_and_key

    async def send(i: int) -> httpx.Response:
        async with http_client(app, key) as http:
            return await http.post(
                "/v1/messages",
                json={"conversation_id": "session:race", "role": "user", "content": f"hi {i}"},
            )

    answers = await asyncio.gather(*(send(i) for i in range(12)))
    assert [a.status_code for a in answers] == [201] * 12, [a.text for a in answers]
    assert len({a.json()["conversation_id"] for a in answers}) == 1
    assert len(await _conversation_rows(runtime, tenant, "session:race")) == 1
    page = await http_client(app, key).get("/v1/conversations/session:race/messages")
    assert len(page.json()["items"]) == 12


async def test_a_batch_creates_each_own_id_once_and_reports_bad_ones_per_item(
    client: httpx.AsyncClient, tenant: str, runtime: Runtime
) -> None:
    known = (await client.post("/v1/conversations", json={"title": "known"})).json()["id"]
    items = [
        {"conversation_id": "alice@example.com", "role": "user", "content": "a1"},
        {"conversation_id": "bob.2", "role": "user", "content": "b1"},
        {"conversation_id": "alice@example.com", "role": "user", "content": "a2"},
        {"conversation_id": known, "role": "user", "content": "k1"},
        {"conversation_id": str(uuid.uuid4()), "role": "user", "content": "lost"},
        {"conversation_id": "has space", "role": "user", "content": "bad"},
    ]
    response = await client.post("/v1/messages/batch", json={"items": items[:5]})
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert [r["status"] for r in results] == ["created"] * 4 + ["error"]
    assert results[4]["error"]["code"] == "conversation_not_found"
    assert "POST /v1/conversations" in results[4]["error"]["message"]
    assert results[0]["message"]["conversation_id"] == results[2]["message"]["conversation_id"]
    assert results[1]["message"]["conversation_external_id"] == "bob.2"
    assert results[3]["message"]["conversation_external_id"] is None
    assert len(await _conversation_rows(runtime, tenant, "alice@example.com")) == 1
    # a malformed id is refused by the schema, with the field named
    bad = await client.post("/v1/messages/batch", json={"items": items[5:]})
    assert bad.status_code == 422
    assert "conversation_id" in bad.text


async def test_own_ids_are_checked_and_a_uuid_shaped_value_is_the_servers_id(
    client: httpx.AsyncClient,
) -> None:
    for bad in ["", "x" * 129, "user 123", "ünï", "a/b", "user\u0000"]:
        response = await client.post(
            "/v1/messages", json={"conversation_id": bad, "role": "user", "content": "x"}
        )
        assert response.status_code == 422, (bad, response.text)
    assert (
        await client.post(
            "/v1/messages", json={"conversation_id": "x" * 128, "role": "user", "content": "x"}
        )
    ).status_code == 201
    unknown = str(uuid.uuid4()).upper()
    response = await client.post(
        "/v1/messages", json={"conversation_id": unknown, "role": "user", "content": "x"}
    )
    assert (response.status_code, response.json()["code"]) == (404, "conversation_not_found")
    refused = await client.post("/v1/conversations", json={"external_id": unknown.lower()})
    assert (refused.status_code, refused.json()["code"]) == (422, "invalid_external_id")
    assert "UUID-shaped" in refused.json()["message"]
    # hex without hyphens is not UUID-shaped: an own id like any other
    digest = uuid.uuid4().hex
    made = await client.post(
        "/v1/messages", json={"conversation_id": digest, "role": "user", "content": "x"}
    )
    assert made.status_code == 201 and made.json()["conversation_external_id"] == digest


async def test_create_with_an_own_id_is_idempotent_and_refuses_a_mismatched_id(
    client: httpx.AsyncClient,
) -> None:
    made = await client.post(
        "/v1/conversations", json={"external_id": "support:42", "title": "first"}
    )
    assert made.status_code == 201, made.text
    conversation = made.json()
    assert conversation["external_id"] == "support:42"
    again = await client.post(
        "/v1/conversations", json={"external_id": "support:42", "title": "second"}
    )
    assert again.status_code == 200
    assert again.json() == conversation  # returned unchanged
    same_pair = await client.post(
        "/v1/conversations", json={"external_id": "support:42", "id": conversation["id"]}
    )
    assert same_pair.status_code == 200
    mismatch = await client.post(
        "/v1/conversations", json={"external_id": "support:42", "id": str(uuid.uuid4())}
    )
    assert (mismatch.status_code, mismatch.json()["code"]) == (409, "external_id_taken")
    renamed = await client.post(
        "/v1/conversations", json={"external_id": "support:43", "id": conversation["id"]}
    )
    assert (renamed.status_code, renamed.json()["code"]) == (409, "conversation_id_taken")
    # the first message then joins it
    message = await client.post(
        "/v1/messages", json={"conversation_id": "support:42", "role": "user", "content": "hi"}
    )
    assert message.json()["conversation_id"] == conversation["id"]


async def test_every_conversation_endpoint_takes_the_own_id(client: httpx.AsyncClient) -> None:
    stored = await client.post(
        "/v1/messages",
        json={"conversation_id": "user-7", "role": "user", "content": "I live in Lisbon"},
    )
    server_id = stored.json()["conversation_id"]
    got = await client.get("/v1/conversations/user-7")
    assert got.status_code == 200
    assert (got.json()["id"], got.json()["external_id"]) == (server_id, "user-7")
    changed = await client.put("/v1/conversations/user-7", json={"title": "Lisbon"})
    assert changed.json()["title"] == "Lisbon" and changed.json()["external_id"] == "user-7"
    messages = (await client.get("/v1/conversations/user-7/messages")).json()["items"]
    assert [m["content"] for m in messages] == ["I live in Lisbon"]
    assert messages[0]["conversation_external_id"] == "user-7"
    stats = (await client.get("/v1/conversations/user-7/stats")).json()
    assert (stats["conversation_id"], stats["conversation_external_id"]) == (server_id, "user-7")
    assert stats["message_count"] == 1
    export = await client.get("/v1/conversations/user-7/export")
    lines = [json.loads(line) for line in export.text.splitlines()]
    assert lines[1]["type"] == "conversation" and lines[1]["external_id"] == "user-7"
    assert lines[2]["content"] == "I live in Lisbon"
    by_uuid = await client.get(f"/v1/conversations/{server_id.upper()}")
    assert by_uuid.json()["external_id"] == "user-7"
    for path in ("", "/messages", "/stats", "/export"):
        missing = await client.get(f"/v1/conversations/user-8{path}")
        assert (missing.status_code, missing.json()["code"]) == (404, "conversation_not_found")
    gone = await client.delete("/v1/conversations/user-7")
    assert gone.json() == {"id": server_id, "external_id": "user-7", "deleted_messages": 1}
    assert (await client.get("/v1/conversations/user-7")).status_code == 404
    # the id is free again: the next first message starts a new conversation
    again = await client.post(
        "/v1/messages", json={"conversation_id": "user-7", "role": "user", "content": "back"}
    )
    assert again.status_code == 201 and again.json()["conversation_id"] != server_id


async def test_search_filters_by_own_id_and_hits_carry_it(client: httpx.AsyncClient) -> None:
    for conversation, content in [
        ("user-a", "My favourite language is Python"),
        ("user-b", "I write Python at work every day"),
    ]:
        response = await client.post(
            "/v1/messages",
            json={"conversation_id": conversation, "role": "user", "content": content},
        )
        assert response.status_code == 201
    everything = (await client.get("/v1/memory/search", params={"query": "Python"})).json()
    assert {h["message"]["conversation_external_id"] for h in everything["results"]} == {
        "user-a",
        "user-b",
    }
    for method in ("GET", "POST"):
        params = {"query": "Python", "conversation_id": "user-a"}
        if method == "GET":
            found = (await client.get("/v1/memory/search", params=params)).json()
        else:
            found = (await client.post("/v1/memory/search", json=params)).json()
        assert [h["message"]["content"] for h in found["results"]] == [
            "My favourite language is Python"
        ]
        assert found["results"][0]["message"]["conversation_external_id"] == "user-a"
    nobody = await client.get(
        "/v1/memory/search", params={"query": "Python", "conversation_id": "user-zzz"}
    )
    assert nobody.status_code == 200 and nobody.json()["results"] == []
    bad = await client.get("/v1/memory/search", params={"query": "x", "conversation_id": "a b"})
    assert bad.status_code == 422


async def test_two_tenants_each_have_their_own_user_123(app: FastAPI, runtime: Runtime) -> None:
    ids = []
    for content in ("first tenant's note", "second tenant's note"):
        _, key = await make_tenant(runtime)
        async with http_client(app, key) as http:
            made = await http.post(
                "/v1/messages",
                json={"conversation_id": "user-123", "role": "user", "content": content},
            )
            assert made.status_code == 201
            ids.append(made.json()["conversation_id"])
            listed = (await http.get("/v1/conversations/user-123/messages")).json()["items"]
            assert [m["content"] for m in listed] == [content]
    assert ids[0] != ids[1]


async def test_retention_rules_and_analytics_name_conversations_by_own_id(
    client: httpx.AsyncClient,
) -> None:
    made = await client.post(
        "/v1/messages", json={"conversation_id": "chat-9", "role": "tool", "content": "log line"}
    )
    server_id = made.json()["conversation_id"]
    rule = await client.post(
        "/v1/admin/retention/rules",
        json={
            "name": "chat-9 out",
            "action": "archive",
            "conditions": {"conversation_id": "chat-9"},
        },
    )
    assert rule.status_code == 201, rule.text
    conditions = rule.json()["conditions"]
    assert (conditions["conversation_id"], conditions["conversation_external_id"]) == (
        server_id,
        "chat-9",
    )
    listed = (await client.get("/v1/admin/retention/rules")).json()
    assert listed["items"][0]["conditions"]["conversation_external_id"] == "chat-9"
    missing = await client.post(
        "/v1/admin/retention/rules",
        json={"name": "x", "action": "archive", "conditions": {"conversation_id": "chat-10"}},
    )
    assert (missing.status_code, missing.json()["code"]) == (404, "conversation_not_found")
    run = await client.post("/v1/admin/retention/run", json={})
    assert run.status_code == 200, run.text
    assert run.json()["archived"] == 1
    top = (await client.get("/v1/analytics/top-conversations")).json()["items"]
    assert [(t["id"], t["external_id"]) for t in top] == [(server_id, "chat-9")]


async def test_import_takes_own_ids_and_merges_a_conversation_by_own_id(
    client: httpx.AsyncClient,
) -> None:
    existing = await client.post(
        "/v1/messages", json={"conversation_id": "user-5", "role": "user", "content": "old"}
    )
    existing_id = existing.json()["conversation_id"]
    file_id = str(uuid.uuid4())
    lines = [
        {"type": "conversation", "id": file_id, "external_id": "user-5", "title": "restored"},
        {"type": "message", "conversation_id": file_id, "role": "user", "content": "merged"},
        {"type": "message", "conversation_id": "user-6", "role": "user", "content": "new one"},
        {"type": "conversation", "id": str(uuid.uuid4()), "external_id": str(uuid.uuid4())},
    ]
    body = "\n".join(json.dumps(line) for line in lines) + "\n"
    report = await client.post("/v1/import", content=body, headers=NDJSON)
    assert report.status_code == 200, report.text
    figures = report.json()
    assert figures["messages_created"] == 2
    assert figures["conversations_existing"] == 1
    assert [(e["line"], e["code"]) for e in figures["errors"]] == [(4, "invalid_external_id")]
    merged = (await client.get("/v1/conversations/user-5/messages")).json()["items"]
    assert [m["content"] for m in merged] == ["old", "merged"]
    assert merged[1]["conversation_id"] == existing_id
    created = (await client.get("/v1/conversations/user-6/messages")).json()["items"]
    assert [m["content"] for m in created] == ["new one"]
