"""Seed-style and hand-found inputs: lone UTF-16 surrogates in any text field, naive
times, numbered pages, analytics ``days``, and unknown body fields naming their
replacement. Each is a clear 4xx with a stable code, never a 500."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from tests.conftest import new_conversation

LONE = "\\ud800"  # as it appears in the JSON text: an escape json.loads turns into U+D800


def _raw(template: str, **values: str) -> bytes:
    """A JSON body whose text holds the lone-surrogate escape (json.dumps cannot make
    one from a str: it would refuse or encode a valid pair)."""
    text = template
    for name, value in values.items():
        text = text.replace("{" + name + "}", value)
    return text.encode()


SURROGATE_CASES = [
    # (name, method, path, JSON template, field named in the answer)
    (
        "content",
        "POST",
        "/v1/messages",
        '{"conversation_id": "{conv}", "role": "user", "content": "a{L}b"}',
        "content",
    ),
    (
        "metadata value",
        "POST",
        "/v1/messages",
        '{"conversation_id": "{conv}", "role": "user", "content": "x", "metadata": {"k": "{L}"}}',
        "metadata.k",
    ),
    (
        "metadata key",
        "POST",
        "/v1/messages",
        '{"conversation_id": "{conv}", "role": "user", "content": "x", "metadata": {"{L}": 1}}',
        "metadata.",
    ),
    (
        "batch item content",
        "POST",
        "/v1/messages/batch",
        '{"items": [{"conversation_id": "{conv}", "role": "user", "content": "{L}"}]}',
        "items.0.content",
    ),
    ("conversation title", "POST", "/v1/conversations", '{"title": "t{L}"}', "title"),
    (
        "conversation metadata",
        "PUT",
        "/v1/conversations/{conv}",
        '{"metadata": {"a": ["{L}"]}}',
        "metadata.a.0",
    ),
    ("search query", "POST", "/v1/memory/search", '{"query": "q{L}"}', "query"),
    ("api key name", "POST", "/v1/auth/api-keys", '{"name": "{L}"}', "name"),
    (
        "registration email",
        "POST",
        "/v1/auth/register",
        '{"email": "a{L}@example.com", "password": "SecurePass123"}',
        "email",
    ),
    (
        "login username",
        "POST",
        "/v1/auth/login",
        '{"username": "{L}", "password": "SecurePass123"}',
        "username",
    ),
    ("tenant name", "POST", "/v1/auth/tenants", '{"tenant_id": "x-{u}", "name": "{L}"}', "name"),
]


@pytest.mark.parametrize(
    ("name", "method", "path", "template", "field"),
    SURROGATE_CASES,
    ids=[c[0] for c in SURROGATE_CASES],
)
async def test_a_lone_surrogate_in_any_text_field_is_a_422_naming_it(
    client: httpx.AsyncClient,
    tenant: str,
    name: str,
    method: str,
    path: str,
    template: str,
    field: str,
) -> None:
    conv = await new_conversation(client, tenant)
    body = _raw(template, conv=conv, L=LONE, u=conv[:8])
    response = await client.request(
        method,
        path.replace("{conv}", conv),
        content=body,
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 422, response.text
    answer = response.json()
    assert answer["code"] == "invalid_characters"
    assert answer["request_id"] and "surrogate" in answer["message"]
    assert answer["details"][0]["field"].startswith(field)
    # and the server is fine afterwards: the same connection answers the next request
    assert (await client.get("/v1/conversations")).status_code == 200


async def test_a_lone_surrogate_in_an_import_line_fails_that_line_only(
    client: httpx.AsyncClient, tenant: str
) -> None:
    export = await client.get("/v1/export")
    assert export.status_code == 200
    header = export.text.splitlines()[0]
    bad = '{"type": "conversation", "id": "00000000-0000-4000-8000-000000000001", "title": "%s"}'
    body = (header + "\n" + bad % LONE + "\n").encode()
    response = await client.post(
        "/v1/import", content=body, headers={"content-type": "application/x-ndjson"}
    )
    assert response.status_code == 200, response.text
    errors = response.json()["errors"]
    assert [(e["line"], e["code"]) for e in errors] == [(2, "invalid_characters")]


async def test_a_valid_surrogate_pair_is_a_character_and_is_stored(
    client: httpx.AsyncClient, tenant: str
) -> None:
    conv = await new_conversation(client, tenant)
    body = _raw(
        '{"conversation_id": "{conv}", "role": "user", "content": "rocket \\ud83d\\ude80"}',
        conv=conv,
    )
    made = await client.post(
        "/v1/messages", content=body, headers={"content-type": "application/json"}
    )
    assert made.status_code == 201, made.text
    assert made.json()["content"] == "rocket \U0001f680"


@pytest.mark.parametrize("field", ["created_after", "created_before"])
async def test_a_naive_time_in_a_search_is_refused(client: httpx.AsyncClient, field: str) -> None:
    by_get = await client.get(
        "/v1/memory/search", params={"query": "x", field: "2024-05-01T10:00:00"}
    )
    by_post = await client.post(
        "/v1/memory/search", json={"query": "x", field: "2024-05-01T10:00:00"}
    )
    for answer in (by_get, by_post):
        assert answer.status_code == 422, answer.text
        assert answer.json()["details"][0]["field"] == field
        assert "timezone" in answer.json()["message"]
    zoned = await client.get(
        "/v1/memory/search", params={"query": "x", field: "2024-05-01T10:00:00Z"}
    )
    assert zoned.status_code == 200, zoned.text


async def test_numbered_pages_walk_the_same_order_as_cursors(
    client: httpx.AsyncClient, tenant: str
) -> None:
    made = [await new_conversation(client, tenant, title=f"c{i}") for i in range(5)]
    by_cursor: list[str] = []
    cursor = None
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = (await client.get("/v1/conversations", params=params)).json()
        by_cursor += [c["id"] for c in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    by_number: list[str] = []
    for number in (1, 2, 3):
        page = await client.get("/v1/conversations", params={"page": number, "page_size": 2})
        assert page.status_code == 200, page.text
        by_number += [c["id"] for c in page.json()["items"]]
    assert by_number == by_cursor and sorted(by_number) == sorted(made)
    assert (await client.get("/v1/conversations", params={"page": 4, "page_size": 2})).json()[
        "items"
    ] == []


async def test_numbered_pages_of_a_conversations_messages(
    client: httpx.AsyncClient, tenant: str
) -> None:
    conv = await new_conversation(client, tenant)
    said = datetime(2026, 1, 1, tzinfo=UTC)  # one batch shares a timestamp unless given one
    items = [
        {
            "conversation_id": conv,
            "role": "user",
            "content": f"m{i}",
            "created_at": (said + timedelta(minutes=i)).isoformat(),
        }
        for i in range(3)
    ]
    assert (await client.post("/v1/messages/batch", json={"items": items})).status_code == 200
    second = await client.get(
        f"/v1/conversations/{conv}/messages", params={"page": 2, "page_size": 2}
    )
    assert [m["content"] for m in second.json()["items"]] == ["m2"]


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"page": 1, "limit": 5}, "pagination_mixed"),
        ({"page_size": 5, "cursor": "abc"}, "pagination_mixed"),
        ({"page": 0}, "invalid_page"),
        ({"page": 1, "page_size": 100_000}, "invalid_limit"),
    ],
)
async def test_bad_numbered_paging_is_a_422(
    client: httpx.AsyncClient, params: dict[str, object], code: str
) -> None:
    answer = await client.get("/v1/conversations", params=params)
    assert answer.status_code == 422 and answer.json()["code"] == code, answer.text


async def test_analytics_days_is_the_window_before_to(client: httpx.AsyncClient) -> None:
    end = datetime(2026, 11, 1, tzinfo=UTC)
    usage = await client.get("/v1/analytics/usage", params={"days": 7, "to": end.isoformat()})
    assert usage.status_code == 200, usage.text
    span = usage.json()["range"]
    start = datetime.fromisoformat(span["from"])
    assert datetime.fromisoformat(span["to"]) - start == timedelta(days=7)
    for path in ("/v1/analytics/trends", "/v1/analytics/top-conversations"):
        assert (await client.get(path, params={"days": 3})).status_code == 200
    both = await client.get(
        "/v1/analytics/embedding-stats", params={"days": 3, "from": "2026-10-01T00:00:00Z"}
    )
    assert both.status_code == 422 and both.json()["details"][0]["field"] == "days"
    too_long = await client.get("/v1/analytics/usage", params={"days": 10_000})
    assert too_long.status_code == 422


async def test_an_unknown_body_field_names_the_field_to_use_instead(
    client: httpx.AsyncClient, tenant: str
) -> None:
    search = await client.post("/v1/memory/search", json={"query": "x", "limit": 5})
    assert search.status_code == 422
    assert search.json()["code"] == "validation_error"
    assert search.json()["message"] == "limit: is not a field of this request; use 'top_k' instead"
    conv = await new_conversation(client, tenant)
    message = await client.post(
        "/v1/messages", json={"conversation_id": conv, "role": "user", "text": "hi"}
    )
    assert message.json()["details"][0] == {
        "field": "text",
        "problem": "is not a field of this request; use 'content' instead",
    }
    other = await client.post("/v1/conversations", json={"colour": "red"})
    assert other.status_code == 422 and other.json()["code"] == "validation_error"
    assert "fields: external_id, id, metadata, tenant_id, title" in other.json()["message"]
    assert json.loads(other.text)["request_id"]


async def test_retention_runs_take_numbered_pages_too(client: httpx.AsyncClient) -> None:
    for _ in range(3):
        ran = await client.post("/v1/admin/retention/run", json={"dry_run": True})
        assert ran.status_code == 200, ran.text
    cursor_page = await client.get("/v1/admin/retention/runs", params={"limit": 2})
    second = await client.get("/v1/admin/retention/runs", params={"page": 2, "page_size": 2})
    assert second.status_code == 200, second.text
    following = await client.get(
        "/v1/admin/retention/runs",
        params={"limit": 2, "cursor": cursor_page.json()["next_cursor"]},
    )
    assert [r["id"] for r in second.json()["items"]] == [r["id"] for r in following.json()["items"]]
    mixed = await client.get("/v1/admin/retention/runs", params={"page": 1, "limit": 2})
    assert mixed.status_code == 422 and mixed.json()["code"] == "pagination_mixed"
