"""Export and import (JSON Lines) over HTTP on the real database and the real model:
export -> import into a fresh tenant gives the same messages and the same search results;
re-import changes nothing; a backup restores with its ids; bad lines are reported with
their numbers; bad requests get a clear 4xx."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from memory_mesh.domain.transfer import FORMAT, remap_id
from memory_mesh.runtime import Runtime
from memory_mesh.services import transfer as transfer_service
from tests.conftest import http_client, make_tenant

NDJSON = {"content-type": "application/x-ndjson"}

CONVERSATIONS: list[tuple[str, dict[str, Any], list[dict[str, Any]]]] = [
    (
        "health",
        {"topic": "health"},
        [
            {"role": "user", "content": "I am allergic to peanuts and shellfish."},
            {"role": "assistant", "content": "Noted: no peanuts, no shellfish.", "importance": 0.9},
            {"role": "user", "content": "My doctor is Dr. Alvarez, appointments on Tuesdays."},
            {"role": "tool", "content": "calendar: 2024-05-07 09:00 Dr. Alvarez"},
        ],
    ),
    ("empty", {}, []),
    (
        "travel",
        {"topic": "travel", "nested": {"a": [1, 2]}},
        [
            {"role": "user", "content": "I prefer window seats on long flights."},
            {"role": "system", "content": "Traveller profile loaded.", "metadata": {"v": 2}},
            {"role": "user", "content": "Book me a vegetarian meal — ünïcödé ✈️ too."},
        ],
    ),
]
QUESTIONS = ["what food should I avoid?", "which seat do I like on planes", "doctor appointment"]


async def populate(client: httpx.AsyncClient) -> dict[str, str]:
    """The conversations above (times in 2024), one message archived; title -> id."""
    ids: dict[str, str] = {}
    minute = 0
    for title, metadata, messages in CONVERSATIONS:
        made = await client.post("/v1/conversations", json={"title": title, "metadata": metadata})
        assert made.status_code == 201
        ids[title] = made.json()["id"]
        items = []
        for message in messages:
            minute += 1
            items.append(
                {
                    "conversation_id": ids[title],
                    "created_at": f"2024-05-01T10:{minute:02d}:00Z",
                    **message,
                }
            )
        if items:
            batch = await client.post("/v1/messages/batch", json={"items": items})
            assert batch.json()["failed"] == 0, batch.text
            if title == "health":
                tool = batch.json()["results"][3]["id"]
                archived = await client.put(f"/v1/messages/{tool}", json={"archived": True})
                assert archived.status_code == 200
    return ids


async def export(client: httpx.AsyncClient, path: str = "/v1/export", **params: Any) -> bytes:
    response = await client.get(path, params=params)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/x-ndjson"
    assert "attachment" in response.headers["content-disposition"]
    return response.content


def lines(body: bytes) -> list[dict[str, Any]]:
    return [json.loads(line) for line in body.decode().splitlines()]


def comparable(body: bytes) -> list[dict[str, Any]]:
    """The export without what differs between tenants: ids, tenant, export time."""
    out = []
    for line in lines(body):
        line = {k: v for k, v in line.items() if k not in ("id", "conversation_id")}
        if line["type"] == "header":
            line = {"type": "header", "scope": line["scope"]}
        out.append(line)
    return out


async def import_(
    client: httpx.AsyncClient, body: bytes | AsyncIterator[bytes], **params: Any
) -> httpx.Response:
    return await client.post("/v1/import", content=body, params=params, headers=NDJSON)


async def search(client: httpx.AsyncClient, query: str) -> list[tuple[str, float]]:
    response = await client.get("/v1/memory/search", params={"query": query, "top_k": 10})
    assert response.status_code == 200
    return [
        (hit["message"]["content"], hit["scores"]["score"]) for hit in response.json()["results"]
    ]


@pytest.fixture
async def source(client: httpx.AsyncClient) -> dict[str, str]:
    return await populate(client)


async def test_the_export_lists_each_conversation_then_its_messages(
    client: httpx.AsyncClient, tenant: str, source: dict[str, str]
) -> None:
    body = lines(await export(client))

    assert body[0]["type"] == "header"
    assert (body[0]["format"], body[0]["version"], body[0]["scope"], body[0]["tenant_id"]) == (
        FORMAT,
        1,
        "tenant",
        tenant,
    )
    kinds = [(line["type"], line.get("title") or line.get("content")) for line in body[1:-1]]
    expected: list[tuple[str, Any]] = []
    for title, _, messages in CONVERSATIONS:
        expected.append(("conversation", title))
        expected += [("message", m["content"]) for m in messages]
    assert kinds == expected
    assert body[-1] == {"type": "end", "conversations": 3, "messages": 7}
    archived = [m for m in body if m["type"] == "message" and m["archived"]]
    assert len(archived) == 1 and archived[0]["archived_at"] is not None
    explicit = [m["importance_explicit"] for m in body if m["type"] == "message"]
    assert explicit == [False, True, False, False, False, False, False]


async def test_export_then_import_into_a_fresh_tenant_gives_the_same_messages_and_search(
    app: FastAPI, runtime: Runtime, client: httpx.AsyncClient, source: dict[str, str]
) -> None:
    original = await export(client)
    fresh, fresh_key = await make_tenant(runtime)
    async with http_client(app, fresh_key) as copy:
        report = await import_(copy, original, ids="remap")
        assert report.status_code == 200, report.text
        assert report.json() | {"lines": 0} == {
            "lines": 0,
            "conversations_created": 3,
            "conversations_existing": 0,
            "messages_created": 7,
            "messages_existing": 0,
            "failed_lines": 0,
            "errors": [],
            "complete": True,
        }
        assert report.json()["lines"] == 12

        copied = await export(copy)
        assert comparable(copied) == comparable(original)
        old_ids = [line["id"] for line in lines(original)[1:-1]]
        new_ids = [line["id"] for line in lines(copied)[1:-1]]
        assert new_ids == [str(remap_id(fresh, uuid.UUID(i))) for i in old_ids]

        # every message embedded through the normal pipeline
        async with runtime.db.tenant(fresh) as conn:
            cur = await conn.execute(
                "select count(*) filter (where embedding_status = 'ready') as ready,"
                " count(*) as n from messages where tenant_id = %s",
                [fresh],
            )
            row = await cur.fetchone()
        assert row is not None and row["ready"] == row["n"] == 7

        for question in QUESTIONS:
            theirs, ours = await search(copy, question), await search(client, question)
            assert [c for c, _ in theirs] == [c for c, _ in ours]
            assert [s for _, s in theirs] == pytest.approx([s for _, s in ours], abs=1e-5)

        again = (await import_(copy, original, ids="remap")).json()
        assert (again["conversations_created"], again["messages_created"]) == (0, 0)
        assert (again["conversations_existing"], again["messages_existing"]) == (3, 7)
        assert comparable(await export(copy)) == comparable(original)


async def test_a_backup_restores_deleted_data_with_its_ids(
    client: httpx.AsyncClient, source: dict[str, str]
) -> None:
    backup = await export(client)
    deleted = await client.delete(f"/v1/conversations/{source['travel']}")
    assert deleted.json()["deleted_messages"] == 3

    report = (await import_(client, backup)).json()  # ids=preserve is the default

    assert (report["conversations_created"], report["conversations_existing"]) == (1, 2)
    assert (report["messages_created"], report["messages_existing"]) == (3, 4)
    restored = await export(client)
    assert lines(restored)[1:] == lines(backup)[1:]  # the same ids, times and content


async def test_preserving_ids_held_by_another_tenant_is_reported_per_line(
    app: FastAPI, runtime: Runtime, client: httpx.AsyncClient, source: dict[str, str]
) -> None:
    original = await export(client)
    _, key = await make_tenant(runtime)
    async with http_client(app, key) as other:
        report = (await import_(other, original)).json()
    assert report["conversations_created"] == report["messages_created"] == 0
    codes = [(e["line"], e["code"]) for e in report["errors"]]
    assert codes[0] == (2, "conversation_id_taken")
    assert "ids=remap" in report["errors"][0]["message"]
    assert {c for _, c in codes} == {"conversation_id_taken", "conversation_not_found"}
    assert report["failed_lines"] == 10  # 3 conversations + 7 messages


async def test_a_conversation_exports_alone(
    client: httpx.AsyncClient, source: dict[str, str]
) -> None:
    body = lines(await export(client, f"/v1/conversations/{source['health']}/export"))
    assert body[0]["scope"] == "conversation"
    assert [line["type"] for line in body] == ["header", "conversation"] + ["message"] * 4 + ["end"]
    assert body[-1] == {"type": "end", "conversations": 1, "messages": 4}
    unarchived = lines(
        await export(
            client, f"/v1/conversations/{source['health']}/export", include_archived="false"
        )
    )
    assert unarchived[-1]["messages"] == 3

    missing = await client.get(f"/v1/conversations/{uuid.uuid4()}/export")
    assert (missing.status_code, missing.json()["code"]) == (404, "conversation_not_found")


@pytest.mark.parametrize("page_rows", [1, 2, 3])
async def test_small_export_pages_give_the_same_file(
    client: httpx.AsyncClient, source: dict[str, str], page_rows: int, monkeypatch: Any
) -> None:
    whole = lines(await export(client))
    monkeypatch.setattr(transfer_service, "EXPORT_PAGE_ROWS", page_rows)
    paged = lines(await export(client))
    assert paged[1:] == whole[1:]


async def test_an_import_streamed_in_odd_chunks_and_small_batches_gives_the_same_result(
    app: FastAPI,
    runtime: Runtime,
    client: httpx.AsyncClient,
    source: dict[str, str],
    monkeypatch: Any,
) -> None:
    original = await export(client)
    monkeypatch.setattr(transfer_service, "IMPORT_BATCH", 2)

    async def chunks() -> AsyncIterator[bytes]:
        for start in range(0, len(original), 7):  # lines and UTF-8 characters cut anywhere
            yield original[start : start + 7]

    _, key = await make_tenant(runtime)
    async with http_client(app, key) as copy:
        report = (await import_(copy, chunks(), ids="remap")).json()
        assert (report["messages_created"], report["failed_lines"], report["complete"]) == (
            7,
            0,
            True,
        )
        assert comparable(await export(copy)) == comparable(original)


async def test_bad_lines_are_reported_with_their_numbers_and_the_rest_imported(
    client: httpx.AsyncClient, runtime: Runtime, tenant: str
) -> None:
    conv, good = str(uuid.uuid4()), str(uuid.uuid4())

    def message(**fields: Any) -> dict[str, Any]:
        return {"type": "message", "conversation_id": conv, "role": "user", **fields}

    body = [
        {"type": "header", "format": FORMAT, "version": 1},
        {"type": "conversation", "id": conv, "title": "imported"},
        "this is not json",
        {"type": "bogus"},
        message(),  # no content
        message(content="   "),
        message(content="orphan", conversation_id=str(uuid.uuid4())),
        message(content="fine", id=good, importance=0.25),
        "",
        message(content="x", role="wizard"),
        {"type": "header", "format": FORMAT, "version": 1},
        message(content="x", importance=3),
        message(content="x", metadata={"k": "\u0000"}),
        {"type": "end", "conversations": 1, "messages": 9},
    ]
    text = "\n".join(line if isinstance(line, str) else json.dumps(line) for line in body)

    response = await import_(client, text.encode())

    assert response.status_code == 200
    report = response.json()
    assert [(e["line"], e["code"]) for e in report["errors"]] == [
        (3, "invalid_json"),
        (4, "invalid_line_type"),
        (5, "validation_error"),
        (6, "content_empty"),
        (7, "conversation_not_found"),
        (10, "validation_error"),
        (11, "misplaced_header"),
        (12, "invalid_importance"),
        (13, "invalid_characters"),
        (14, "incomplete_export"),
    ]
    assert "content" in report["errors"][2]["message"]
    assert (report["conversations_created"], report["messages_created"]) == (1, 1)
    assert (report["lines"], report["failed_lines"], report["complete"]) == (14, 10, False)
    fine = await client.get(f"/v1/messages/{good}")
    assert fine.json()["importance"] == 0.25 and fine.json()["importance_explicit"] is True


async def test_a_line_too_long_is_skipped_and_the_next_one_read(
    client: httpx.AsyncClient,
) -> None:
    conv = str(uuid.uuid4())
    huge = json.dumps({"type": "conversation", "id": str(uuid.uuid4()), "title": "x" * 2_000_000})
    body = "\n".join([huge, json.dumps({"type": "conversation", "id": conv, "title": "ok"})])
    report = (await import_(client, body.encode())).json()
    assert [(e["line"], e["code"]) for e in report["errors"]] == [(1, "line_too_long")]
    assert report["conversations_created"] == 1


BAD_IMPORTS: list[tuple[str, bytes, dict[str, str], dict[str, str], int, str]] = [
    ("empty body", b"", NDJSON, {}, 422, "import_empty"),
    ("only blank lines", b"\n \n\n", NDJSON, {}, 422, "import_empty"),
    ("CSV, not JSON Lines", b"id,content\n1,hello\n", NDJSON, {}, 422, "invalid_import"),
    (
        "a newer version",
        b'{"type":"header","format":"memory-mesh.export","version":99}\n'
        b'{"type":"conversation","id":"6f1c1f60-3b0b-4c1e-9a55-6b8f7d7a0c11"}\n',
        NDJSON,
        {},
        422,
        "unsupported_export_version",
    ),
    (
        "another format",
        b'{"type":"header","format":"chatgpt","version":1}\n',
        NDJSON,
        {},
        422,
        "unsupported_format",
    ),
    (
        "a form upload",
        b"--x\r\n",
        {"content-type": "multipart/form-data; boundary=x"},
        {},
        415,
        "unsupported_media_type",
    ),
    ("unknown id mode", b"{}", NDJSON, {"ids": "shuffle"}, 422, "validation_error"),
]


@pytest.mark.parametrize(
    ("body", "headers", "query", "status", "code"),
    [b[1:] for b in BAD_IMPORTS],
    ids=[b[0] for b in BAD_IMPORTS],
)
async def test_bad_imports_are_refused_with_a_clear_4xx_and_write_nothing(
    client: httpx.AsyncClient,
    runtime: Runtime,
    tenant: str,
    body: bytes,
    headers: dict[str, str],
    query: dict[str, str],
    status: int,
    code: str,
) -> None:
    response = await client.post("/v1/import", content=body, headers=headers, params=query)
    assert (response.status_code, response.json()["code"]) == (status, code), response.text
    async with runtime.db.tenant(tenant) as conn:
        cur = await conn.execute(
            "select count(*) as n from conversations where tenant_id = %s", [tenant]
        )
        row = await cur.fetchone()
    assert row is not None and row["n"] == 0


async def test_export_and_import_need_their_scopes(
    app: FastAPI, runtime: Runtime, source: dict[str, str]
) -> None:
    _, reader_key = await make_tenant(runtime, scopes=("read",))
    async with http_client(app, reader_key) as reader:
        tenant_export = await reader.get("/v1/export")
        assert (tenant_export.status_code, tenant_export.json()["code"]) == (
            403,
            "insufficient_scope",
        )
        imported = await import_(reader, b'{"type":"end","conversations":0,"messages":0}')
        assert imported.status_code == 403
        conv = await reader.post("/v1/conversations", json={"title": "x"})
        assert conv.status_code == 403
    _, writer_key = await make_tenant(runtime, scopes=("read", "write"))
    async with http_client(app, writer_key) as writer:
        conv_id = (await writer.post("/v1/conversations", json={"title": "mine"})).json()["id"]
        own = await writer.get(f"/v1/conversations/{conv_id}/export")
        assert own.status_code == 200  # a conversation needs only read
        theirs = await writer.get(f"/v1/conversations/{source['health']}/export")
        assert theirs.status_code == 404  # another tenant's conversation: not found


@pytest.mark.parametrize("page_rows", [1, 5, 500])
async def test_messages_stored_without_times_export_and_import_in_the_order_sent(
    app: FastAPI,
    runtime: Runtime,
    client: httpx.AsyncClient,
    page_rows: int,
    monkeypatch: Any,
) -> None:
    # one batch without times: every message shares the transaction's time, and the order
    # they were sent in is their reading order (created_at, then arrival), in every page
    conv = (await client.post("/v1/conversations", json={"title": "untimed"})).json()["id"]
    sent = [f"turn {i}" for i in range(12)]
    items = [{"conversation_id": conv, "role": "user", "content": t} for t in sent]
    assert (await client.post("/v1/messages/batch", json={"items": items})).json()["failed"] == 0
    monkeypatch.setattr(transfer_service, "EXPORT_PAGE_ROWS", page_rows)
    path = f"/v1/conversations/{conv}/export"
    original = await export(client, path)
    assert [m["content"] for m in lines(original) if m["type"] == "message"] == sent

    fresh, fresh_key = await make_tenant(runtime)
    async with http_client(app, fresh_key) as copy:
        assert (await import_(copy, original, ids="remap")).json()["messages_created"] == 12
        listed = await copy.get(
            f"/v1/conversations/{remap_id(fresh, uuid.UUID(conv))}/messages", params={"limit": 50}
        )
    assert [m["content"] for m in listed.json()["items"]] == sent
