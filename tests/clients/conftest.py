"""One real ``memory-mesh serve`` for the client and MCP tests, and accounts on it."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

from tests.conftest import RedisServer
from tests.e2e.server import running_server

PASSWORD = "a long enough passphrase"


@dataclass(frozen=True)
class Account:
    """A user administering one tenant, with API keys of that tenant."""

    url: str
    email: str
    tenant: str
    key: str  # read, write, admin
    read_key: str  # read only


def make_account(url: str) -> Account:
    tenant = f"c-{uuid.uuid4().hex[:12]}"
    email = f"owner@{tenant}.example.com"
    with httpx.Client(base_url=url, timeout=30) as http:
        http.post(
            "/v1/auth/register", json={"email": email, "password": PASSWORD, "tenant_id": tenant}
        ).raise_for_status()
        login = http.post("/v1/auth/login", json={"email": email, "password": PASSWORD})
        bearer = {"authorization": f"Bearer {login.json()['access_token']}"}

        def key(scopes: list[str]) -> str:
            made = http.post(
                "/v1/auth/api-keys", headers=bearer, json={"name": "clients", "scopes": scopes}
            )
            made.raise_for_status()
            return str(made.json()["key"])

        return Account(url, email, tenant, key(["read", "write", "admin"]), key(["read"]))


@pytest.fixture(scope="session")
def server_log() -> list[str]:
    """Every line the server process printed so far."""
    return []


@pytest.fixture(scope="session")
def server_url(
    tmp_path_factory: pytest.TempPathFactory, redis_server: RedisServer, server_log: list[str]
) -> Iterator[str]:
    """A real server process (embedded PostgreSQL, the local model, Redis). Access tokens
    live 30 s, the shortest allowed: the client refreshes them on every call, so the
    rotation of refresh tokens is exercised by every session test."""
    env = {
        "MEMORY_REDIS_URL": redis_server.url,
        "MEMORY_JWT_ACCESS_TTL_SECONDS": "30",
        "MEMORY_GLOBAL_RATE_LIMIT": "2000/minute",
        "MEMORY_TENANT_RATE_LIMIT": "2000/minute",
    }
    directory = tmp_path_factory.mktemp("clients-server")
    with running_server(directory, output=server_log, **env) as url:
        yield url


@pytest.fixture
def account(server_url: str) -> Account:
    return make_account(server_url)


@pytest.fixture
def other_account(server_url: str) -> Account:
    return make_account(server_url)
