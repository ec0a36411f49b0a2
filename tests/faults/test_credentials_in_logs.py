"""Secrets in logs: a real server at DEBUG level is used with an API key (header and the
WebSocket `?api_key=` form), an access token (Bearer and `?access_token=`) and a refresh
token; none of them, nor the password, appears anywhere in its captured output."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import httpx
import pytest
from websockets.sync.client import connect

from tests.conftest import JWT_SECRET
from tests.e2e.server import running_server
from tests.faults.support import PASSWORD

pytestmark = pytest.mark.e2e


def _ready(ws_url: str) -> None:
    with connect(ws_url, open_timeout=30) as ws:
        frame = json.loads(ws.recv(timeout=30))
        assert frame["type"] == "ready", frame


def test_no_credential_reaches_the_server_output(database_url: str, tmp_path: Path) -> None:
    output: list[str] = []
    with running_server(
        tmp_path,
        output=output,
        MEMORY_DATABASE_URL=database_url,
        MEMORY_ENVIRONMENT="test",
        MEMORY_JWT_SECRET_KEY=JWT_SECRET,
        MEMORY_LOG_LEVEL="DEBUG",
    ) as url:
        tenant = f"t-{uuid.uuid4().hex[:12]}"
        email = f"{tenant}@example.com"
        with httpx.Client(base_url=url, timeout=30) as http:
            assert http.post(
                "/v1/auth/register",
                json={"email": email, "password": PASSWORD, "tenant_id": tenant},
            ).is_success
            tokens = http.post("/v1/auth/login", json={"email": email, "password": PASSWORD}).json()
            access, refresh = tokens["access_token"], tokens["refresh_token"]
            made = http.post(
                "/v1/auth/api-keys",
                json={"name": "logs", "scopes": ["read", "write"]},
                headers={"Authorization": f"Bearer {access}"},
            )
            key = made.json()["key"]
            assert http.get("/v1/auth/me", headers={"x-api-key": key}).status_code == 200
            assert (
                http.get(
                    "/v1/messages/" + str(uuid.uuid4()), headers={"x-api-key": key}
                ).status_code
                == 404
            )
            renewed = http.post("/v1/auth/refresh", json={"refresh_token": refresh})
            assert renewed.status_code == 200
            # a wrong credential is logged as a failure, never echoed
            assert http.get("/v1/auth/me", headers={"x-api-key": key + "x"}).status_code == 401
        ws = url.replace("http://", "ws://") + f"/ws/messages/{tenant}"
        _ready(f"{ws}?api_key={key}")
        _ready(f"{ws}?access_token={access}")
    text = "".join(output)
    assert "/v1/auth/me" in text  # the access log was captured at all
    secrets = {
        "api key": key,
        "api key (wrong)": key + "x",
        "access token": access,
        "refresh token": refresh,
        "renewed refresh token": renewed.json()["refresh_token"],
        "password": PASSWORD,
    }
    leaked = [name for name, value in secrets.items() if value in text]
    assert not leaked, leaked
    # the key's secret part: even its tail must not be logged
    assert key[-16:] not in text
