"""The server process is killed (SIGKILL) after acknowledging messages in async mode and
before embedding them: a restarted server's worker finds the rows left pending and embeds
them; every acknowledged message is present exactly once and searchable."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import httpx
import psutil
import psycopg
import pytest

from tests.conftest import JWT_SECRET
from tests.e2e.server import running_server
from tests.faults.support import EmbeddedPostgres, messages_of, sign_up, wait_until

pytestmark = pytest.mark.e2e

ENV = {
    "MEMORY_ENVIRONMENT": "test",
    "MEMORY_JWT_SECRET_KEY": JWT_SECRET,
    "MEMORY_EMBEDDING_MODE": "async",
    "MEMORY_GLOBAL_RATE_LIMIT": "1000000/minute",
    "MEMORY_TENANT_RATE_LIMIT": "1000000/minute",
}


def _server_pid(data_dir: Path) -> int:
    """The `memory-mesh serve` child of this test serving ``data_dir``."""
    for child in psutil.Process().children(recursive=True):
        try:
            if "memory_mesh.cli" in " ".join(child.cmdline()) and child.environ().get(
                "MEMORY_DATA_DIR"
            ) == str(data_dir):
                return int(child.pid)
        except psutil.NoSuchProcess:
            continue
    raise AssertionError("server process not found")


def test_rows_left_pending_by_a_killed_process_are_embedded_after_restart(
    tmp_path: Path,
) -> None:
    acked: list[str] = []
    with running_server(tmp_path, **ENV) as url:
        tenant, key = sign_up(url)
        with httpx.Client(base_url=url, headers={"x-api-key": key}, timeout=60) as http:
            conv = http.post("/v1/conversations", json={"title": "crash"}).json()["id"]
            for batch in range(4):
                items = [
                    {"conversation_id": conv, "role": "user", "content": f"b{batch} fact {i}"}
                    for i in range(100)
                ]
                answer = http.post(
                    "/v1/messages/batch",
                    json={"items": items},
                    headers={"Idempotency-Key": f"crash-batch-{batch}"},
                )
                assert answer.status_code == 200, answer.text
                acked += [r["id"] for r in answer.json()["results"] if r["status"] == "created"]
        os.kill(_server_pid(tmp_path), signal.SIGKILL)

    # the embedded PostgreSQL outlives the killed process; look at what it left
    with psycopg.connect(EmbeddedPostgres(tmp_path).uri()) as conn:
        row = conn.execute(
            "select count(*) filter (where embedding_status = 'pending'), count(*)"
            " from messages where tenant_id = %s",
            [tenant],
        ).fetchone()
    assert row is not None
    pending, total = row
    assert total == 400 and len(acked) == 400
    assert pending > 0, "the worker finished before the kill: nothing was left to sweep"
    print(f"\nFAULT sigkill: {pending} of {total} acknowledged messages left pending")

    with running_server(tmp_path, **ENV) as url:

        def all_embedded() -> bool:
            return all(m["embedding"]["status"] == "ready" for m in messages_of(url, key, conv))

        wait_until(all_embedded, seconds=180, what="the restarted worker to embed the rest")
        stored = messages_of(url, key, conv)
        ids = [m["id"] for m in stored]
        assert len(ids) == len(set(ids)) and sorted(ids) == sorted(acked)
        with httpx.Client(base_url=url, headers={"x-api-key": key}, timeout=60) as http:
            # a retried batch after the crash stores nothing twice
            again = http.post(
                "/v1/messages/batch",
                json={
                    "items": [
                        {"conversation_id": conv, "role": "user", "content": f"b0 fact {i}"}
                        for i in range(100)
                    ]
                },
                headers={"Idempotency-Key": "crash-batch-0"},
            )
            assert again.status_code == 200
            assert len(messages_of(url, key, conv)) == 400
            found = http.get(
                "/v1/memory/search", params={"query": "b3 fact 42", "mode": "vector", "top_k": 10}
            )
            assert found.status_code == 200
            assert any(r["message"]["content"] == "b3 fact 42" for r in found.json()["results"])
