"""The seed README's Quick Start, its five curl commands as written (host and port aside),
run by real ``curl`` processes against a real ``memory-mesh serve`` on embedded defaults;
the stored message is found by the search."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.e2e.server import running_server

pytestmark = pytest.mark.e2e

SEED_README = Path(__file__).resolve().parents[2] / ".." / "shared" / "seed" / "README.md"

# Copied verbatim from the seed README's "Quick Start" (each block of its five steps).
QUICK_START = [
    """curl -X POST http://localhost:8000/v1/auth/register \\
  -H "Content-Type: application/json" \\
  -d '{
    "email": "user@example.com",
    "username": "testuser",
    "password": "SecurePass123"
  }'""",
    """curl -X POST http://localhost:8000/v1/auth/login \\
  -H "Content-Type: application/json" \\
  -d '{
    "email": "user@example.com",
    "password": "SecurePass123"
  }'""",
    """curl -X POST http://localhost:8000/v1/messages \\
  -H "Authorization: Bearer YOUR_ACCESS_TOKEN" \\
  -H "Content-Type: application/json" \\
  -d '{
    "tenant_id": "my-app",
    "conversation_id": "user-123",
    "role": "user",
    "content": "I need help with Python programming"
  }'""",
    """curl "http://localhost:8000/v1/memory/search?tenant_id=my-app&query=Python&top_k=5" \\
  -H "Authorization: Bearer YOUR_ACCESS_TOKEN\"""",
    """curl http://localhost:8000/v1/admin/health""",
]


def _run(command: str, url: str, token: str | None = None) -> tuple[int, dict[str, object]]:
    """Run one command as written, the host swapped for the server's, and ``-w`` added so
    the status is known; return (HTTP status, JSON body)."""
    written = command.replace("http://localhost:8000", url)
    if token is not None:
        written = written.replace("YOUR_ACCESS_TOKEN", token)
    done = subprocess.run(
        ["bash", "-c", written + ' -sS -w "\\n%{http_code}"'],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    body, _, status = done.stdout.rpartition("\n")
    return int(status), json.loads(body)


def test_the_commands_here_are_the_seed_readmes() -> None:
    if not SEED_README.exists():  # the seed lives beside the repository, not in it
        pytest.skip(f"{SEED_README} is not on this machine")
    blocks = re.findall(r"```bash\n(curl .*?)\n```", SEED_README.read_text(), flags=re.S)
    assert blocks == QUICK_START


@pytest.mark.skipif(shutil.which("curl") is None, reason="needs the curl program")
def test_the_seed_quick_start_works_as_written(tmp_path: Path) -> None:
    log: list[str] = []
    with running_server(tmp_path, output=log) as url:
        status, registered = _run(QUICK_START[0], url)
        assert status == 201, (registered, "".join(log[-20:]))
        status, login = _run(QUICK_START[1], url)
        assert status == 200, login
        token = str(login["access_token"])
        status, stored = _run(QUICK_START[2], url, token)
        assert status == 201, stored
        assert stored["tenant_id"] == "my-app"
        assert stored["conversation_external_id"] == "user-123"
        assert stored["content"] == "I need help with Python programming"
        status, found = _run(QUICK_START[3], url, token)
        assert status == 200, found
        results = found["results"]
        assert isinstance(results, list)
        assert [r["message"]["id"] for r in results] == [stored["id"]]
        assert results[0]["message"]["conversation_external_id"] == "user-123"
        status, health = _run(QUICK_START[4], url)
        assert (status, health["status"]) == (200, "ok")
