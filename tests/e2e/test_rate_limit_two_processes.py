"""Two real server processes sharing one Redis (and one embedded database) enforce ONE
tenant limit between them, under concurrent requests."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from tests.conftest import RedisServer
from tests.e2e.server import running_server

pytestmark = pytest.mark.e2e


def test_the_tenant_limit_holds_across_two_processes(
    tmp_path: Path, redis_server: RedisServer
) -> None:
    env = {"MEMORY_REDIS_URL": redis_server.url, "MEMORY_TENANT_RATE_LIMIT": "20/minute"}
    with running_server(tmp_path, **env) as url_a, running_server(tmp_path, **env) as url_b:
        creds = {"email": "limits@example.com", "password": "a long enough passphrase"}
        with httpx.Client(base_url=url_a, timeout=30) as http:
            made = http.post("/v1/auth/register", json={**creds, "tenant_id": "limited"})
            assert made.status_code == 201, made.text
            token = http.post("/v1/auth/login", json=creds).json()["access_token"]
        headers = {"authorization": f"Bearer {token}"}
        clients = [httpx.Client(base_url=u, timeout=30, headers=headers) for u in (url_a, url_b)]
        try:

            def call(i: int) -> int:
                return clients[i % 2].get("/v1/conversations").status_code

            with ThreadPoolExecutor(max_workers=8) as pool:
                codes = list(pool.map(call, range(30)))
        finally:
            for c in clients:
                c.close()
    assert codes.count(200) == 20, codes
    assert codes.count(429) == 10, codes
