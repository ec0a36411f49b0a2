"""Regression tests for the 500s the contract fuzzer found (see docs/RELIABILITY.md):
each is now a clear 4xx or a stored value."""

from __future__ import annotations

import httpx

from tests.conftest import new_conversation


async def test_a_year_one_analytics_end_is_a_422(client: httpx.AsyncClient) -> None:
    answer = await client.get("/v1/analytics/trends", params={"to": "0001-01-01T00:00:00+00:51"})
    assert answer.status_code == 422 and answer.json()["code"] == "invalid_date_range"


async def test_a_nul_in_an_api_key_name_is_a_422(client: httpx.AsyncClient) -> None:
    answer = await client.post("/v1/auth/api-keys", json={"name": "a\u0000b"})
    # the one text rule of every body (domain/validation.check_text) answers first
    assert answer.status_code == 422 and answer.json()["code"] == "invalid_characters"


async def test_a_nul_in_a_conversation_title_is_a_422(client: httpx.AsyncClient) -> None:
    """Found once the fuzzer's strings included lone surrogates (its examples changed)."""
    answer = await client.post("/v1/conversations", json={"title": "a\u0000b"})
    assert answer.status_code == 422, answer.text
    assert answer.json()["code"] == "invalid_characters"
    assert answer.json()["details"][0]["field"] == "title"


async def test_a_lone_surrogate_in_content_is_a_422_not_a_500(
    client: httpx.AsyncClient, tenant: str
) -> None:
    conv = await new_conversation(client, tenant)
    body = '{"conversation_id": "' + conv + '", "role": "user", "content": "\\ud800"}'
    answer = await client.post(
        "/v1/messages", content=body.encode(), headers={"content-type": "application/json"}
    )
    assert answer.status_code == 422 and answer.json()["code"] == "invalid_characters"
    assert answer.json()["request_id"]


async def test_a_vanishingly_small_importance_is_stored_as_zero(
    client: httpx.AsyncClient, tenant: str
) -> None:
    conv = await new_conversation(client, tenant)
    made = await client.post(
        "/v1/messages",
        json={"conversation_id": conv, "role": "user", "content": "hi", "importance": 2e-239},
    )
    assert made.status_code == 201, made.text
    assert made.json()["importance"] == 0.0
    changed = await client.put(
        "/v1/messages/batch/update",
        json={"items": [{"id": made.json()["id"], "importance": 2e-239}]},
    )
    assert changed.status_code == 200 and changed.json()["succeeded"] == 1, changed.text
