"""Redis stops mid-run under two real `memory-mesh serve` processes sharing it (and one
embedded database), then starts again on the same port. A WebSocket subscriber on each
process; writes (with Idempotency-Keys) go to process B.

While Redis is down:
- every write is acknowledged (no 5xx, nothing near the client timeout);
- rate limits FAIL OPEN to per-process memory counts: a login limit is still enforced,
  but each process counts on its own (process B allows its full quota after A's);
- real-time: B's own subscriber hears every event; A's subscriber hears none of them;
- readiness is 503 on both, its ``redis`` check failing.

After Redis is back, without restarting anything: readiness is green, A hears B's
events again, the login limit is shared again. Finally every acknowledged message is
present exactly once, embedded, and found by search; B's subscriber heard each exactly
once.

Login throttling is the limit probed (``MEMORY_LOGIN_RATE_LIMIT=3/15minutes``, failed
logins of an unknown address): it goes through the same limiter as the caller and tenant
limits, which are set out of reach here so that the writers are never throttled.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import time
import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import websockets

from tests.conftest import JWT_SECRET, RedisServer
from tests.e2e.server import running_server
from tests.faults.support import messages_of, sign_up

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]

LOGIN_LIMIT = 3
WRITERS = 2
MIN_OUTAGE = 8.0  # seconds Redis stays down at least (a scenario length, not an assertion)
CLIENT_TIMEOUT = 20.0  # seconds: an answer slower than this counts as a hang
TOPICS = [
    "We booked the hotel in Kyoto for April",
    "The car needs new winter tyres before December",
    "My sister's birthday dinner is on June 3rd",
    "Remember to water the ferns on the balcony",
    "The quarterly report is due to finance on Friday",
    "Our flight to Lisbon leaves at 7:40 in the morning",
    "The dentist moved the appointment to Tuesday afternoon",
    "Buy oat milk, lemons and fresh basil for the pasta",
]


@dataclass
class Write:
    phase_sent: str
    phase_done: str
    sent_at: float  # time.monotonic()
    status: int  # 0: no answer within CLIENT_TIMEOUT
    seconds: float
    idem: str
    content: str
    id: str | None = None


@dataclass
class Run:
    """What the test saw: the phase at each moment, the writes, the events per process."""

    phase: str = "before"
    writes: list[Write] = field(default_factory=list)
    # message id -> the phases in which a message.created event arrived, per process
    created: dict[str, dict[str, list[str]]] = field(
        default_factory=lambda: {"a": defaultdict(list), "b": defaultdict(list)}
    )

    def acked(self, phase: str | None = None) -> list[Write]:
        return [
            w
            for w in self.writes
            if w.id is not None and (phase is None or w.phase_sent == w.phase_done == phase)
        ]


async def _write(http: httpx.AsyncClient, run: Run, conversation: str, writer: int) -> None:
    n = 0
    while run.phase != "done":
        n += 1
        idem = f"w{writer}-{n}-{uuid.uuid4().hex[:8]}"
        code = "code" + uuid.uuid4().hex[:12]
        content = f"{TOPICS[(writer + n) % len(TOPICS)]} (note {writer}-{n}, {code})"
        sent, started = run.phase, time.monotonic()
        try:
            answer = await http.post(
                "/v1/messages",
                json={"conversation_id": conversation, "role": "user", "content": content},
                headers={"Idempotency-Key": idem},
            )
            status = answer.status_code
        except httpx.TimeoutException:
            status = 0
        write = Write(sent, run.phase, started, status, time.monotonic() - started, idem, content)
        if status in (200, 201):
            write.id = answer.json()["id"]
        run.writes.append(write)


async def _listen(ws: Any, run: Run, process: str) -> None:
    async for raw in ws:
        frame = json.loads(raw)
        if frame["type"] == "message.created":
            run.created[process][frame["message"]["id"]].append(run.phase)


async def _until(check: Callable[[], Awaitable[bool]], *, seconds: float, what: str) -> float:
    """Poll ``check`` until true; return how long it took (fail after ``seconds``, a
    liveness bound, not a performance assertion)."""
    started = time.monotonic()
    while not await check():
        assert time.monotonic() - started < seconds, f"timed out waiting for {what}"
        await asyncio.sleep(0.1)
    return time.monotonic() - started


def _client(url: str, headers: dict[str, str] | None = None) -> httpx.AsyncClient:
    # idle connections are dropped well before the server's 5 s keep-alive timeout, so a
    # request never races the server closing its connection ("Server disconnected")
    return httpx.AsyncClient(
        base_url=url,
        headers=headers,
        timeout=CLIENT_TIMEOUT,
        limits=httpx.Limits(keepalive_expiry=1.0),
    )


async def _failed_logins(url: str, email: str, times: int) -> list[int]:
    async with _client(url) as http:
        return [
            (
                await http.post("/v1/auth/login", json={"email": email, "password": "wrong" * 3})
            ).status_code
            for _ in range(times)
        ]


async def _redis_check(http: httpx.AsyncClient) -> tuple[int, bool]:
    """Readiness status and whether its redis check passed."""
    answer = await http.get("/v1/admin/readiness")
    checks = {c["name"]: c for c in answer.json()["checks"]}
    return answer.status_code, bool(checks["redis"]["ok"])


def _ws(url: str, path: str) -> str:
    # no client keepalive: on a loaded machine a late pong would close the socket (1011)
    # and look like a lost event; the server sends its own ping frames
    return url.replace("http://", "ws://") + path


def _figures(writes: list[Write]) -> str:
    if not writes:
        return "none"
    seconds = sorted(w.seconds for w in writes)
    return f"{len(writes)} writes, p50 {statistics.median(seconds):.2f} s, max {seconds[-1]:.2f} s"


async def test_redis_stops_and_returns_under_two_server_processes(tmp_path: Path) -> None:
    redis = RedisServer()
    env = {
        "MEMORY_REDIS_URL": redis.url,
        "MEMORY_ENVIRONMENT": "test",
        "MEMORY_JWT_SECRET_KEY": JWT_SECRET,
        "MEMORY_GLOBAL_RATE_LIMIT": "1000000/minute",
        "MEMORY_TENANT_RATE_LIMIT": "1000000/minute",
        "MEMORY_LOGIN_RATE_LIMIT": f"{LOGIN_LIMIT}/15minutes",
    }
    log_a: list[str] = []
    log_b: list[str] = []
    run = Run()
    try:
        with (
            running_server(tmp_path, output=log_a, **env) as url_a,
            running_server(tmp_path, output=log_b, **env) as url_b,
        ):
            await _scenario(run, redis, url_a, url_b)
    finally:
        redis.stop()
    # each process logged the outage and the return once, not once per request
    for log in (log_a, log_b):
        text = "".join(log)
        about_redis = "".join(line for line in log if "Redis" in line and "access" not in line)
        assert text.count("Redis rate-limit store unavailable") == 1, about_redis
        assert text.count("Redis rate-limit store is back") == 1, about_redis
        assert text.count("real-time listener lost Redis") == 1, about_redis
        assert text.count("real-time listener subscribed to Redis again") == 1, about_redis


async def _scenario(run: Run, redis: RedisServer, url_a: str, url_b: str) -> None:
    tenant, key = await asyncio.to_thread(sign_up, url_a)
    headers = {"x-api-key": key}
    http_a = _client(url_a, headers)
    http_b = _client(url_b, headers)
    ws_path = f"/ws/messages/{tenant}"
    async with (
        http_a,
        http_b,
        websockets.connect(
            _ws(url_a, ws_path), additional_headers=headers, ping_interval=None
        ) as ws_a,
        websockets.connect(
            _ws(url_b, ws_path), additional_headers=headers, ping_interval=None
        ) as ws_b,
    ):
        for ws in (ws_a, ws_b):
            assert json.loads(await ws.recv())["type"] == "ready"
        made = await http_b.post("/v1/conversations", json={"title": "redis outage"})
        conversation = made.json()["id"]
        listeners = [
            asyncio.create_task(_listen(ws_a, run, "a")),
            asyncio.create_task(_listen(ws_b, run, "b")),
        ]
        writers = [
            asyncio.create_task(_write(http_b, run, conversation, n)) for n in range(WRITERS)
        ]

        try:

            async def heard(process: str, phase: str, at_least: int) -> bool:
                acked = run.acked(phase)
                return len(acked) >= at_least and all(w.id in run.created[process] for w in acked)

            # --- before: Redis up, everything shared --------------------------------------
            await _until(lambda: heard("a", "before", 6), seconds=120, what="events on A")
            await _until(lambda: heard("b", "before", 6), seconds=120, what="events on B")
            assert await _redis_check(http_a) == (200, True)
            assert await _redis_check(http_b) == (200, True)
            shared = f"shared-{uuid.uuid4().hex[:8]}@example.com"
            assert await _failed_logins(url_a, shared, LOGIN_LIMIT) == [401] * LOGIN_LIMIT
            assert await _failed_logins(url_b, shared, 1) == [429]  # A's failures count on B

            # --- Redis killed ---------------------------------------------------------------
            run.phase = "outage"
            redis.kill()
            killed = time.monotonic()

            async def not_ready(http: httpx.AsyncClient) -> bool:
                return await _redis_check(http) == (503, False)

            await _until(lambda: not_ready(http_a), seconds=60, what="readiness 503 on A")
            await _until(lambda: not_ready(http_b), seconds=60, what="readiness 503 on B")
            readiness_started = time.monotonic()
            await _redis_check(http_b)
            readiness_down_seconds = time.monotonic() - readiness_started

            async def long_enough() -> bool:
                # down past the limiter's 5 s retry and the listener's 2 s retry spacing,
                # with writes going on: the states a real outage is in
                return time.monotonic() - killed >= MIN_OUTAGE and await heard("b", "outage", 8)

            await _until(long_enough, seconds=120, what="writes in the outage")
            apart = f"apart-{uuid.uuid4().hex[:8]}@example.com"
            # each process counts on its own, from zero, and still enforces the limit
            limited = [401] * LOGIN_LIMIT + [429]
            assert await _failed_logins(url_a, apart, LOGIN_LIMIT + 1) == limited
            assert await _failed_logins(url_b, apart, LOGIN_LIMIT + 1) == limited

            # --- Redis back on the same port ------------------------------------------------
            run.phase = "after"
            redis.start()
            restarted = time.monotonic()

            async def ready(http: httpx.AsyncClient) -> bool:
                return await _redis_check(http) == (200, True)

            await _until(lambda: ready(http_a), seconds=60, what="readiness green on A")
            await _until(lambda: ready(http_b), seconds=60, what="readiness green on B")
            ready_after = time.monotonic() - restarted

            async def cross_process_again() -> bool:
                return any("after" in phases for phases in run.created["a"].values())

            await _until(cross_process_again, seconds=60, what="B's events to reach A again")
            cross_back_at = time.monotonic()
            cross_after = cross_back_at - restarted

            probe_started = restarted

            async def shared_again() -> bool:
                nonlocal probe_started
                probe_started = time.monotonic()
                email = f"again-{uuid.uuid4().hex[:8]}@example.com"
                await _failed_logins(url_a, email, LOGIN_LIMIT)
                return await _failed_logins(url_b, email, 1) == [429]

            await _until(shared_again, seconds=60, what="the login limit to be shared again")
            shared_after = probe_started - restarted  # when the first probe to pass began

            async def a_hears_again(at_least: int) -> bool:
                later = [w for w in run.acked("after") if w.sent_at > cross_back_at]
                return len(later) >= at_least and all(w.id in run.created["a"] for w in later)

            await _until(lambda: a_hears_again(6), seconds=120, what="more events on A")

            # --- stop, then check everything ------------------------------------------------
            run.phase = "done"
            await asyncio.gather(*writers)  # the last writes finish

            async def b_heard_all() -> bool:
                return all(w.id in run.created["b"] for w in run.acked())

            await _until(b_heard_all, seconds=60, what="B's subscriber to hear every write")

            async def a_heard_since_back() -> bool:
                # B hears its own writes in process, A through Redis: the last writes reach
                # A a moment later (once waited for B alone, A's check raced them)
                later = [w for w in run.acked() if w.sent_at > cross_back_at]
                return all(w.id in run.created["a"] for w in later)

            await _until(a_heard_since_back, seconds=60, what="A to hear every write since")
            for task in listeners:
                task.cancel()
            await asyncio.gather(*listeners, return_exceptions=True)

            failures = [
                (w.status, w.phase_sent, round(w.seconds, 2)) for w in run.writes if not w.id
            ]
            assert not failures, failures  # no 5xx, no hang: every write acknowledged
            acked = run.acked()
            # B's own subscriber: every message exactly once, whatever Redis did
            assert all(len(run.created["b"][w.id]) == 1 for w in acked if w.id)
            # A: never twice; nothing written while Redis was down; all once it was back
            assert all(len(phases) == 1 for phases in run.created["a"].values())
            assert not [w.id for w in run.acked("outage") if w.id in run.created["a"]]
            later = [w for w in acked if w.sent_at > cross_back_at]
            assert later and all(w.id in run.created["a"] for w in later)

            stored = await asyncio.to_thread(messages_of, url_a, key, conversation)
            ids = [m["id"] for m in stored]
            assert len(ids) == len(set(ids))
            assert sorted(ids) == sorted(w.id for w in acked if w.id)
            assert sorted(m["content"] for m in stored) == sorted(w.content for w in acked)
            assert all(m["embedding"]["status"] == "ready" for m in stored)  # inline embedding
            for write in acked:  # every one found by its code
                code = write.content.rsplit(", ", 1)[1].rstrip(")")
                found = await http_a.get(
                    "/v1/memory/search", params={"query": code, "mode": "keyword", "top_k": 3}
                )
                assert found.status_code == 200, found.text
                assert write.id in [r["message"]["id"] for r in found.json()["results"]], write
            for phase in ("before", "outage", "after"):  # and by meaning, one per phase
                write = run.acked(phase)[0]
                found = await http_a.get(
                    "/v1/memory/search",
                    params={"query": write.content, "mode": "vector", "top_k": 30},
                )
                hits = found.json()["results"]
                closest = max(hits, key=lambda r: r["scores"]["similarity"])
                assert closest["message"]["id"] == write.id, (write, closest)

            outage = [w for w in run.writes if w.phase_sent == "outage" or w.phase_done == "outage"]
            print(
                f"\nFAULT redis: {len(acked)} writes acknowledged, 0 failed; "
                f"before: {_figures(run.acked('before'))}; "
                f"during the outage ({restarted - killed:.1f} s): {_figures(outage)}; "
                f"readiness while down {readiness_down_seconds:.2f} s (503); "
                f"after the restart: readiness green in {ready_after:.1f} s, "
                f"cross-process events in {cross_after:.1f} s, "
                f"shared login limit by {shared_after:.1f} s (a probe takes ~4 logins)"
            )
        finally:  # also when an assertion failed: no task outlives the servers
            run.phase = "done"
            for task in listeners:
                task.cancel()
            await asyncio.gather(*writers, *listeners, return_exceptions=True)
