"""A table of bad inputs, each answered with its 4xx and a stable code — never a 500."""

from __future__ import annotations

import json
import uuid

import httpx
import pytest

from tests.conftest import new_conversation

CONV = "{conv}"


def _fill(value: object, conv: str) -> object:
    if isinstance(value, dict):
        return {k: _fill(v, conv) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, conv) for v in value]
    if value == CONV:
        return conv
    return value


def _message(**overrides: object) -> dict[str, object]:
    body: dict[str, object] = {
        "tenant_id": "TENANT",
        "conversation_id": CONV,
        "role": "user",
        "content": "hello",
    }
    body.update(overrides)
    return body


CASES: list[tuple[str, str, str, object, int, str]] = [
    # (name, method, path, json-or-params, status, code)
    ("empty content", "POST", "/v1/messages", _message(content=""), 422, "content_empty"),
    ("blank content", "POST", "/v1/messages", _message(content=" \t\n"), 422, "content_empty"),
    (
        "oversized content",
        "POST",
        "/v1/messages",
        _message(content="x" * 32_001),
        422,
        "content_too_long",
    ),
    (
        "NUL in content",
        "POST",
        "/v1/messages",
        _message(content="a\u0000b"),
        422,
        "invalid_characters",
    ),
    ("unknown role", "POST", "/v1/messages", _message(role="wizard"), 422, "validation_error"),
    (
        "missing content",
        "POST",
        "/v1/messages",
        {"tenant_id": "TENANT", "conversation_id": CONV, "role": "user"},
        422,
        "validation_error",
    ),
    ("content not a string", "POST", "/v1/messages", _message(content=42), 422, "validation_error"),
    ("unknown field", "POST", "/v1/messages", _message(colour="red"), 422, "validation_error"),
    (
        "malformed conversation id",
        "POST",
        "/v1/messages",
        _message(conversation_id="not an id!"),  # "abc" is a valid own id
        422,
        "validation_error",
    ),
    (
        "unknown conversation",
        "POST",
        "/v1/messages",
        _message(conversation_id=str(uuid.uuid4())),
        404,
        "conversation_not_found",
    ),
    (
        "importance out of range",
        "POST",
        "/v1/messages",
        _message(importance=1.5),
        422,
        "invalid_importance",
    ),
    (
        "naive created_at",
        "POST",
        "/v1/messages",
        _message(created_at="2024-01-01T10:00:00"),
        422,
        "invalid_timestamp",
    ),
    (
        "future created_at",
        "POST",
        "/v1/messages",
        _message(created_at="2999-01-01T10:00:00Z"),
        422,
        "invalid_timestamp",
    ),
    (
        "metadata not an object",
        "POST",
        "/v1/messages",
        _message(metadata=[1, 2]),
        422,
        "validation_error",
    ),
    (
        "metadata too deep",
        "POST",
        "/v1/messages",
        _message(metadata={"a": {"b": {"c": {"d": {"e": {"f": 1}}}}}}),
        422,
        "metadata_too_deep",
    ),
    (
        "bad tenant id",
        "POST",
        "/v1/messages",
        _message(tenant_id="no spaces allowed"),
        422,
        "validation_error",
    ),
    (
        "empty batch",
        "POST",
        "/v1/messages/batch",
        {"tenant_id": "TENANT", "items": []},
        422,
        "batch_empty",
    ),
    (
        "oversized batch",
        "POST",
        "/v1/messages/batch",
        {
            "tenant_id": "TENANT",
            "items": [{"conversation_id": CONV, "role": "user", "content": "x"}] * 1001,
        },
        422,
        "batch_too_large",
    ),
    (
        "malformed message id",
        "GET",
        "/v1/messages/not-a-uuid",
        {"tenant_id": "TENANT"},
        422,
        "validation_error",
    ),
    (
        "unknown message",
        "GET",
        f"/v1/messages/{uuid.uuid4()}",
        {"tenant_id": "TENANT"},
        404,
        "message_not_found",
    ),
    (
        "tenant not held",
        "GET",
        f"/v1/messages/{uuid.uuid4()}",
        {"tenant_id": "someone-else"},
        403,
        "tenant_forbidden",
    ),
    (
        "top_k zero",
        "GET",
        "/v1/memory/search",
        {"tenant_id": "TENANT", "query": "x", "top_k": 0},
        422,
        "invalid_top_k",
    ),
    (
        "top_k huge",
        "GET",
        "/v1/memory/search",
        {"tenant_id": "TENANT", "query": "x", "top_k": 10**12},
        422,
        "invalid_top_k",
    ),
    (
        "top_k not a number",
        "GET",
        "/v1/memory/search",
        {"tenant_id": "TENANT", "query": "x", "top_k": "many"},
        422,
        "validation_error",
    ),
    (
        "empty query",
        "GET",
        "/v1/memory/search",
        {"tenant_id": "TENANT", "query": " "},
        422,
        "query_empty",
    ),
    (
        "unknown mode",
        "GET",
        "/v1/memory/search",
        {"tenant_id": "TENANT", "query": "x", "mode": "psychic"},
        422,
        "validation_error",
    ),
    (
        "metadata filter not JSON",
        "GET",
        "/v1/memory/search",
        {"tenant_id": "TENANT", "query": "x", "metadata": "{oops"},
        422,
        "invalid_metadata_filter",
    ),
    (
        "min_score out of range",
        "GET",
        "/v1/memory/search",
        {"tenant_id": "TENANT", "query": "x", "min_score": 2},
        422,
        "invalid_min_score",
    ),
    (
        "inverted time range",
        "GET",
        "/v1/memory/search",
        {
            "tenant_id": "TENANT",
            "query": "x",
            "created_after": "2024-02-01T00:00:00Z",
            "created_before": "2024-01-01T00:00:00Z",
        },
        422,
        "invalid_time_range",
    ),
    (
        "bad date",
        "GET",
        "/v1/memory/search",
        {"tenant_id": "TENANT", "query": "x", "created_after": "yesterday"},
        422,
        "validation_error",
    ),
    (
        "bad cursor",
        "GET",
        "/v1/conversations",
        {"tenant_id": "TENANT", "cursor": "%%%"},
        422,
        "invalid_cursor",
    ),
    (
        "page too big",
        "GET",
        "/v1/conversations",
        {"tenant_id": "TENANT", "limit": 100000},
        422,
        "invalid_limit",
    ),
    (
        "unknown conversation stats",
        "GET",
        f"/v1/conversations/{uuid.uuid4()}/stats",
        {"tenant_id": "TENANT"},
        404,
        "conversation_not_found",
    ),
    ("unknown route", "GET", "/v1/nothing-here", {}, 404, "route_not_found"),
    ("wrong method", "PATCH", "/v1/messages/batch", {}, 405, "method_not_allowed"),
]


@pytest.mark.parametrize(
    ("name", "method", "path", "payload", "status", "code"), CASES, ids=[c[0] for c in CASES]
)
async def test_bad_input_gets_a_clear_4xx(
    client: httpx.AsyncClient,
    tenant: str,
    name: str,
    method: str,
    path: str,
    payload: object,
    status: int,
    code: str,
) -> None:
    conv = await new_conversation(client, tenant)
    filled = _fill(payload, conv)
    text = httpx.Response(200, json=filled).text.replace("TENANT", tenant)
    import json

    data = json.loads(text)
    if method in ("GET", "DELETE"):
        response = await client.request(method, path, params=data)
    else:
        response = await client.request(method, path, json=data)
    assert response.status_code == status, response.text
    body = response.json()
    assert body["code"] == code
    assert body["message"] and body["request_id"]
    assert response.headers["x-request-id"] == body["request_id"]


async def test_invalid_json_is_a_400(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/v1/messages", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert response.status_code == 400 and response.json()["code"] == "invalid_json"


async def test_invalid_utf8_is_a_4xx(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/v1/messages",
        content=b'{"content": "\xff\xfe"}',
        headers={"content-type": "application/json"},
    )
    assert 400 <= response.status_code < 500


async def test_a_body_over_the_limit_is_a_413(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/v1/messages",
        content=b"x" * (17 * 1024 * 1024),
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 413 and response.json()["code"] == "payload_too_large"


async def test_a_time_zone_offset_postgresql_cannot_store_is_a_clear_422(
    client: httpx.AsyncClient,
) -> None:
    """Found by schemathesis: created_at with offset -20:43 was a 500 (PostgreSQL refuses
    offsets beyond +-15:59)."""
    late = "2024-01-01T10:00:00-20:43"
    single = await client.post(
        "/v1/messages",
        json={"conversation_id": "tz", "role": "user", "content": "x", "created_at": late},
    )
    assert (single.status_code, single.json()["code"]) == (422, "invalid_timestamp")
    assert "created_at" in single.json()["message"]
    batch = await client.post(
        "/v1/messages/batch",
        json={"items": [{"conversation_id": "tz", "role": "user", "content": "x",
                         "created_at": late}]},
    )  # fmt: skip
    assert batch.json()["results"][0]["error"]["code"] == "invalid_timestamp"
    lines = [
        {"type": "conversation", "id": str(uuid.uuid4()), "created_at": late},
        {"type": "message", "conversation_id": "tz", "role": "user", "content": "x",
         "archived": True, "archived_at": late},
    ]  # fmt: skip
    imported = await client.post(
        "/v1/import",
        content="\n".join(json.dumps(line) for line in lines) + "\n",
        headers={"content-type": "application/x-ndjson"},
    )
    assert imported.status_code == 200
    assert [(e["line"], e["code"]) for e in imported.json()["errors"]] == [
        (1, "invalid_timestamp"),
        (2, "invalid_timestamp"),
    ]


async def test_a_search_time_with_an_offset_postgresql_cannot_store_is_a_clear_422(
    client: httpx.AsyncClient,
) -> None:
    for name in ("created_after", "created_before"):
        response = await client.get(
            "/v1/memory/search", params={"query": "x", name: "2024-01-01T10:00:00+16:30"}
        )
        assert (response.status_code, response.json()["code"]) == (422, "invalid_timestamp")
        assert name in response.json()["message"]


async def test_a_stored_time_before_1970_is_a_clear_422(client: httpx.AsyncClient) -> None:
    """Found by schemathesis: a message dated in year 47 was stored, and then every search
    of its tenant answered 500 (the recency decay underflowed in PostgreSQL)."""
    ancient = await client.post(
        "/v1/messages",
        json={"conversation_id": "old", "role": "user", "content": "x",
              "created_at": "0047-06-29T19:14:25Z"},
    )  # fmt: skip
    assert (ancient.status_code, ancient.json()["code"]) == (422, "invalid_timestamp")
    assert "1970" in ancient.json()["message"]
    epoch = await client.post(
        "/v1/messages",
        json={"conversation_id": "old", "role": "user", "content": "dated at the epoch",
              "created_at": "1970-01-01T00:00:00Z"},
    )  # fmt: skip
    assert epoch.status_code == 201, epoch.text
    found = await client.get("/v1/memory/search", params={"query": "dated at the epoch"})
    assert found.status_code == 200
    assert [h["message"]["id"] for h in found.json()["results"]] == [epoch.json()["id"]]
