"""The database stops mid-load: requests answer 503 ``datastore_unavailable`` promptly
(never hang, never 500), the server recovers by itself when PostgreSQL returns, and
every acknowledged message is then present exactly once and searchable.

A real `memory-mesh serve` process on its own embedded PostgreSQL, stopped with
``pg_ctl stop -m immediate`` (like a crash) and started again.
"""

from __future__ import annotations

import threading
import time
import uuid
from pathlib import Path

import httpx
import pytest

from tests.conftest import JWT_SECRET
from tests.e2e.server import running_server
from tests.faults.support import EmbeddedPostgres, messages_of, sign_up, wait_until

pytestmark = pytest.mark.e2e

WRITERS = 4


class Load:
    """Writers storing messages with Idempotency-Keys until told to stop; every answer
    (status, code, seconds) is kept, and which keys were acknowledged."""

    def __init__(self, url: str, key: str, conversation: str) -> None:
        self.url, self.key, self.conversation = url, key, conversation
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.answers: list[tuple[int, str, float]] = []
        self.acked: dict[str, str] = {}  # idempotency key -> message id
        self.sent: dict[str, str] = {}  # idempotency key -> content
        self.threads = [threading.Thread(target=self._write, args=(n,)) for n in range(WRITERS)]

    def _write(self, writer: int) -> None:
        with httpx.Client(base_url=self.url, headers={"x-api-key": self.key}, timeout=30) as http:
            n = 0
            while not self.stop.is_set():
                n += 1
                idem = f"w{writer}-{n}-{uuid.uuid4().hex[:8]}"
                content = f"writer {writer} note {n}: the parcel code is {uuid.uuid4().hex[:10]}"
                with self.lock:
                    self.sent[idem] = content
                self.send(http, idem, content)

    def send(self, http: httpx.Client, idem: str, content: str) -> int:
        started = time.monotonic()
        answer = http.post(
            "/v1/messages",
            json={"conversation_id": self.conversation, "role": "user", "content": content},
            headers={"Idempotency-Key": idem},
        )
        code = answer.json().get("code", "") if answer.status_code >= 300 else ""
        with self.lock:
            self.answers.append((answer.status_code, code, time.monotonic() - started))
            if answer.status_code in (200, 201):
                self.acked[idem] = answer.json()["id"]
        return answer.status_code

    def acked_count(self) -> int:
        with self.lock:
            return len(self.acked)


def test_a_database_outage_answers_503_and_the_service_recovers_by_itself(
    tmp_path: Path,
) -> None:
    with running_server(
        tmp_path,
        MEMORY_ENVIRONMENT="test",
        MEMORY_JWT_SECRET_KEY=JWT_SECRET,
        MEMORY_GLOBAL_RATE_LIMIT="1000000/minute",
        MEMORY_TENANT_RATE_LIMIT="1000000/minute",
        MEMORY_DB_POOL_TIMEOUT_SECONDS="2",
        MEMORY_IDEMPOTENCY_LOCK_SECONDS="2",
    ) as url:
        _, key = sign_up(url)
        with httpx.Client(base_url=url, headers={"x-api-key": key}, timeout=30) as http:
            conv = http.post("/v1/conversations", json={"title": "outage"}).json()["id"]
            load = Load(url, key, conv)
            for thread in load.threads:
                thread.start()
            wait_until(lambda: load.acked_count() >= 20, seconds=60, what="a first load")

            database = EmbeddedPostgres(tmp_path)
            database.stop()
            before_outage = len(load.answers)
            wait_until(
                lambda: sum(1 for s, _, _ in load.answers[before_outage:] if s == 503) >= 8,
                seconds=60,
                what="503 answers while the database is down",
            )
            readiness = http.get("/v1/admin/readiness")
            assert readiness.status_code == 503
            during = list(load.answers[before_outage:])

            database.start()
            recovered = load.acked_count()
            wait_until(
                lambda: load.acked_count() > recovered + 10,
                seconds=60,
                what="writes to succeed again without a restart",
            )
            load.stop.set()
            for thread in load.threads:
                thread.join(timeout=60)
            wait_until(
                lambda: http.get("/v1/admin/readiness").status_code == 200,
                seconds=60,
                what="readiness to recover",
            )

            # the client retries what was never acknowledged, with the same keys
            for idem, content in load.sent.items():
                if idem not in load.acked:
                    wait_until(
                        lambda i=idem, c=content: load.send(http, i, c) in (200, 201),  # type: ignore[misc]
                        seconds=30,
                        what=f"retry of {idem}",
                    )

            failures = [(s, c) for s, c, _ in load.answers if s not in (200, 201)]
            assert {s for s, _ in failures} <= {503, 409}, failures
            assert all(c in ("datastore_unavailable", "request_in_progress") for _, c in failures)
            assert any(s == 503 for s, _, _ in during)
            slowest = max(seconds for s, _, seconds in load.answers if s == 503)
            print(
                f"\nFAULT database: {len(load.answers)} answers, "
                f"{sum(1 for s, _ in failures if s == 503)} x 503 datastore_unavailable, "
                f"slowest 503 {slowest:.2f} s, {len(load.sent)} messages sent"
            )

            stored = messages_of(url, key, conv)
            ids = [m["id"] for m in stored]
            assert len(ids) == len(set(ids))
            assert sorted(ids) == sorted(load.acked.values())
            assert sorted(m["content"] for m in stored) == sorted(load.sent.values())

            def all_embedded() -> bool:
                return all(m["embedding"]["status"] == "ready" for m in messages_of(url, key, conv))

            wait_until(all_embedded, seconds=120, what="every message to be embedded")
            sample = stored[len(stored) // 2]
            found = http.get(
                "/v1/memory/search",
                params={"query": sample["content"], "mode": "vector", "top_k": 5},
            )
            assert found.status_code == 200, found.text
            assert sample["id"] in [r["message"]["id"] for r in found.json()["results"]]
