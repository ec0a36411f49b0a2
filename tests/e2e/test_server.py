"""End to end: the real `memory-mesh serve` process, real HTTP, embedded PostgreSQL."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest

from tests.e2e.server import running_server

pytestmark = pytest.mark.e2e


def _sign_in(http: httpx.Client, tenant: str) -> None:
    """Register (first run) or sign in, and send the access token from now on."""
    creds = {"email": f"owner@{tenant}.example.com", "password": "a long enough passphrase"}
    http.post("/v1/auth/register", json={**creds, "tenant_id": tenant})
    tokens = http.post("/v1/auth/login", json=creds)
    assert tokens.status_code == 200, tokens.text
    http.headers["authorization"] = f"Bearer {tokens.json()['access_token']}"


def _conversation(http: httpx.Client, tenant: str) -> str:
    _sign_in(http, tenant)
    response = http.post("/v1/conversations", json={"tenant_id": tenant, "title": "e2e"})
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def test_store_and_find_by_meaning_and_data_survives_a_restart(tmp_path: Path) -> None:
    with running_server(tmp_path) as url, httpx.Client(base_url=url, timeout=30) as http:
        assert http.get("/v1/admin/health").json()["status"] == "ok"
        ready = http.get("/v1/admin/readiness")
        assert ready.status_code == 200, ready.text
        assert {c["name"]: c["ok"] for c in ready.json()["checks"]} == {
            "database": True,
            "embedder": True,
            "redis": True,  # not configured here: in-memory rate limits, reported as such
        }
        conv = _conversation(http, "acme")
        texts = [
            "Our cat is called Miso and sleeps all day.",
            "The invoice from the plumber was 240 euros.",
            "I always take the 7:15 train to the office.",
        ]
        for text in texts:
            created = http.post(
                "/v1/messages",
                json={
                    "tenant_id": "acme",
                    "conversation_id": conv,
                    "role": "user",
                    "content": text,
                },
            )
            assert created.status_code == 201, created.text
        found = http.get(
            "/v1/memory/search",
            params={"tenant_id": "acme", "query": "how much did we pay for the pipe repair?"},
        ).json()
        assert found["results"][0]["message"]["content"] == texts[1]
        assert http.get("/openapi.json").json()["info"]["title"] == "Memory Mesh"
        assert http.get("/docs").status_code == 200

    with running_server(tmp_path) as url, httpx.Client(base_url=url, timeout=30) as http:
        _sign_in(http, "acme")  # the same account and tenant, and the same signing key
        page = http.get(f"/v1/conversations/{conv}/messages", params={"tenant_id": "acme"})
        assert [m["content"] for m in page.json()["items"]] == texts
        again = http.get(
            "/v1/memory/search", params={"tenant_id": "acme", "query": "pet that naps a lot"}
        ).json()
        assert again["results"][0]["message"]["content"] == texts[0]


def test_async_mode_answers_at_once_and_the_worker_embeds(tmp_path: Path) -> None:
    with (
        running_server(tmp_path, MEMORY_EMBEDDING_MODE="async") as url,
        httpx.Client(base_url=url, timeout=30) as http,
    ):
        conv = _conversation(http, "acme")
        items = [
            {"conversation_id": conv, "role": "user", "content": f"async note {i}"}
            for i in range(50)
        ]
        body = http.post("/v1/messages/batch", json={"tenant_id": "acme", "items": items}).json()
        assert body["succeeded"] == 50
        assert {r["message"]["embedding"]["status"] for r in body["results"]} == {"pending"}
        deadline = time.monotonic() + 60
        coverage = 0.0
        while time.monotonic() < deadline:
            stats = http.get(f"/v1/conversations/{conv}/stats", params={"tenant_id": "acme"})
            coverage = stats.json()["embedding_coverage"]
            if coverage == 1.0:
                break
            time.sleep(0.2)
        assert coverage == 1.0


def test_a_bad_setting_stops_the_process_naming_the_variable(tmp_path: Path) -> None:
    with (
        pytest.raises(RuntimeError, match="MEMORY_EMBEDDING_MODE"),
        running_server(tmp_path, MEMORY_EMBEDDING_MODE="later"),
    ):
        pass
