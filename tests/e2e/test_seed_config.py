"""The seed README's configuration block, as an operator writes it into `.env`, starts the
real `memory-mesh serve` and takes effect: the asyncpg URL, the token lifetimes, CORS;
the environment wins over the file, and a mistyped name is reported at start."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from tests.conftest import JWT_SECRET
from tests.e2e.server import running_server

pytestmark = pytest.mark.e2e


def test_the_seed_configuration_in_a_dotenv_file_is_honoured(
    tmp_path: Path, database_url: str
) -> None:
    workdir = tmp_path / "app"
    workdir.mkdir()
    seed_url = database_url.replace("postgresql://", "postgresql+asyncpg://", 1)
    (workdir / ".env").write_text(
        "\n".join(
            [
                f"MEMORY_DATABASE_URL={seed_url}",
                f"MEMORY_JWT_SECRET_KEY={JWT_SECRET}",
                "MEMORY_ENVIRONMENT=test",
                "MEMORY_ACCESS_TOKEN_EXPIRE_MINUTES=30",
                "MEMORY_REFRESH_TOKEN_EXPIRE_DAYS=7",
                "MEMORY_ALLOWED_ORIGINS=http://localhost:3000,https://yourdomain.com",
                "MEMORY_RETENTION_SCHEDULE_SECONDS=86400",
                "MEMORY_TENANT_RATE_LIMIT=1/minute",  # the environment's value wins
                "MEMORY_ACESS_TOKEN_EXPIRE_MINUTES=5",  # a typo: reported, not silent
            ]
        )
        + "\n"
    )
    output: list[str] = []
    with (
        running_server(
            tmp_path / "data",
            output=output,
            cwd=workdir,
            MEMORY_TENANT_RATE_LIMIT="120/minute",
        ) as url,
        httpx.Client(base_url=url, timeout=30) as http,
    ):
        creds = {"email": f"seed-{tmp_path.name}@example.com", "password": "SecurePass123"}
        made = http.post("/v1/auth/register", json={**creds, "username": f"s{tmp_path.name}"[:32]})
        assert made.status_code == 201, made.text
        now = datetime.now(UTC)
        tokens = http.post("/v1/auth/login", json=creds).json()
        access_left = datetime.fromisoformat(tokens["access_expires_at"]) - now
        refresh_left = datetime.fromisoformat(tokens["refresh_expires_at"]) - now
        assert timedelta(minutes=29) < access_left <= timedelta(minutes=31)
        assert timedelta(days=6, hours=23) < refresh_left <= timedelta(days=7, minutes=1)
        bearer = {"authorization": f"Bearer {tokens['access_token']}"}
        answers = [http.get("/v1/conversations", headers=bearer) for _ in range(3)]
        assert [a.status_code for a in answers] == [200, 200, 200]  # not the file's 1/minute
        preflight = http.options(
            "/v1/conversations",
            headers={
                "origin": "https://yourdomain.com",
                "access-control-request-method": "GET",
            },
        )
        assert preflight.headers["access-control-allow-origin"] == "https://yourdomain.com"
    log = "".join(output)
    assert (
        "MEMORY_ACESS_TOKEN_EXPIRE_MINUTES is not a Memory Mesh setting and is ignored; "
        "did you mean MEMORY_ACCESS_TOKEN_EXPIRE_MINUTES?" in log
    )
