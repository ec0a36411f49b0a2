"""End to end: `memory-mesh serve` outside development writes JSON log lines — its own
access line per request, uvicorn's access log off — and never the credentials sent."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import JWT_SECRET

pytestmark = pytest.mark.e2e


def test_the_server_logs_one_json_access_line_per_request_and_no_secret(
    database_url: str, tmp_path: Path
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MEMORY_")}
    env.update(
        MEMORY_DATABASE_URL=database_url,
        MEMORY_DATA_DIR=str(tmp_path),
        MEMORY_ENVIRONMENT="test",  # MEMORY_LOG_FORMAT unset: json outside development
        MEMORY_JWT_SECRET_KEY=JWT_SECRET,
        MEMORY_PORT="0",
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "memory_mesh.cli", "serve"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: list[str] = []

    def drain() -> None:  # a full pipe would block the server
        assert process.stdout is not None
        with process.stdout:
            lines.extend(iter(process.stdout.readline, ""))

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    try:
        deadline = time.monotonic() + 90
        url = None
        while url is None and time.monotonic() < deadline and process.poll() is None:
            found = [re.search(r"listening on (http://\S+)", x) for x in list(lines)]
            url = next((m[1] for m in found if m), None)
            time.sleep(0.1)
        assert url, "".join(lines)
        password = "a long enough passphrase"
        with httpx.Client(base_url=url, timeout=30) as http:
            creds = {"email": "logs@example.com", "password": password}
            assert http.post("/v1/auth/register", json={**creds, "tenant_id": "logs"}).is_success
            tokens = http.post("/v1/auth/login", json=creds).json()
            token = tokens["access_token"]
            listed = http.get(
                "/v1/conversations",
                headers={"authorization": f"Bearer {token}", "x-request-id": "e2e-log-1"},
            )
            assert listed.status_code == 200
        time.sleep(0.5)  # let the last lines arrive
    finally:
        process.terminate()
        process.wait(timeout=30)
        reader.join(timeout=10)
    output = "".join(lines)
    records = [json.loads(x) for x in lines if x.startswith("{")]
    access = [r for r in records if r["logger"] == "memory_mesh.access"]
    [line] = [r for r in access if r.get("request_id") == "e2e-log-1"]
    assert line["route"] == "/v1/conversations" and line["status"] == 200
    assert line["tenant_id"] == "logs" and line["latency_ms"] > 0
    assert any(r["logger"].startswith("uvicorn") for r in records)  # uvicorn's lines are JSON too
    assert not any(r["logger"] == "uvicorn.access" for r in records)
    assert '"GET /v1/conversations HTTP/1.1" 200' not in output  # uvicorn's access format
    for secret in (token, tokens["refresh_token"], password):
        assert secret not in output
