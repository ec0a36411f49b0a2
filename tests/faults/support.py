"""Helpers for tests against real server processes: an account with an API key, and
counting what the database holds."""

from __future__ import annotations

import os
import shlex
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

PASSWORD = "correct horse battery staple"


def sign_up(base_url: str, scopes: tuple[str, ...] = ("read", "write", "admin")) -> tuple[str, str]:
    """Register a user with a new tenant over HTTP and make an API key: (tenant, key)."""
    tenant = f"t-{uuid.uuid4().hex[:12]}"
    email = f"{tenant}@example.com"
    with httpx.Client(base_url=base_url, timeout=30) as http:
        made = http.post(
            "/v1/auth/register", json={"email": email, "password": PASSWORD, "tenant_id": tenant}
        )
        assert made.status_code == 201, made.text
        login = http.post("/v1/auth/login", json={"email": email, "password": PASSWORD})
        assert login.status_code == 200, login.text
        token = login.json()["access_token"]
        key = http.post(
            "/v1/auth/api-keys",
            json={"tenant_id": tenant, "name": "tests", "scopes": list(scopes)},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert key.status_code == 201, key.text
    return tenant, str(key.json()["key"])


class EmbeddedPostgres:
    """Stop and start the embedded PostgreSQL a server process started under ``data_dir``,
    with pg_ctl, as the system user the wheel runs it as (``pgserver`` when root)."""

    def __init__(self, data_dir: Path) -> None:
        self.pgdata = data_dir / "pgdata"
        self.user = "pgserver" if os.geteuid() == 0 else None
        self._options: list[str] = []

    def uri(self) -> str:
        from pgserver.utils import PostmasterInfo

        info = PostmasterInfo.read_from_pgdata(self.pgdata)
        assert info is not None, "the embedded PostgreSQL is not running"
        return str(info.get_uri())

    def stop(self) -> None:
        """Stop at once (``-m immediate``: like a crash, no shutdown checkpoint)."""
        from pgserver._commands import pg_ctl

        # postmaster.opts holds the command line the server was started with
        words = shlex.split((self.pgdata / "postmaster.opts").read_text())[1:]
        self._options = [w for i, w in enumerate(words) if w != "-D" and words[i - 1] != "-D"]
        pg_ctl(["-w", "stop", "-m", "immediate"], pgdata=self.pgdata, user=self.user, timeout=60)

    def start(self) -> None:
        from pgserver._commands import pg_ctl

        options = " ".join(shlex.quote(w) for w in self._options)
        log = self.pgdata / "restart.log"
        pg_ctl(
            ["-w", "-o", options, "-l", str(log), "start"],
            pgdata=self.pgdata,
            user=self.user,
            timeout=60,
        )


def messages_of(base_url: str, key: str, conversation: str) -> list[dict[str, Any]]:
    """Every message of a conversation, through the API's cursor pages."""
    found: list[dict[str, Any]] = []
    cursor: str | None = None
    with httpx.Client(base_url=base_url, timeout=30, headers={"x-api-key": key}) as http:
        while True:
            params: dict[str, str | int] = {"limit": 200}
            if cursor:
                params["cursor"] = cursor
            page = http.get(f"/v1/conversations/{conversation}/messages", params=params)
            assert page.status_code == 200, page.text
            body = page.json()
            found.extend(body["items"])
            cursor = body.get("next_cursor")
            if not cursor:
                return found


def wait_until(predicate: Callable[[], bool], *, seconds: float, what: str) -> None:
    """Poll ``predicate`` until true; fail naming ``what`` after ``seconds`` (a liveness
    bound against hangs, not a performance assertion)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")
