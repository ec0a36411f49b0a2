"""Readiness: each dependency (database, Redis, embedder) with its latency; 503 while a
required one is down — here a real Redis, stopped mid-run."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx

from memory_mesh.embeddings import Embedder
from memory_mesh.http.app import create_app
from memory_mesh.runtime import Runtime
from tests.conftest import RedisServer, http_client, make_settings


@asynccontextmanager
async def _served(
    database_url: str, embedder: Embedder, **overrides: Any
) -> AsyncIterator[httpx.AsyncClient]:
    runtime = await Runtime.start(
        make_settings(database_url, **overrides), embedder=embedder, run_worker=False
    )
    app = create_app(runtime.settings)
    app.state.runtime = runtime
    try:
        async with http_client(app) as http:
            yield http
    finally:
        await runtime.stop()


def _checks(response: httpx.Response) -> dict[str, dict[str, Any]]:
    return {c["name"]: c for c in response.json()["checks"]}


async def _until_not_subscribed(http: httpx.AsyncClient) -> None:
    """Readiness reports the listener as lost once it noticed (a liveness bound)."""
    deadline = time.monotonic() + 30
    while True:
        realtime = _checks(await http.get("/v1/admin/readiness"))["realtime"]
        if not realtime["ok"]:
            assert "not subscribed" in realtime["detail"]
            return
        assert time.monotonic() < deadline, "readiness never reported the lost listener"
        await asyncio.sleep(0.1)


async def test_readiness_reports_redis_with_its_latency_then_503_when_redis_stops(
    database_url: str, local_embedder: Embedder
) -> None:
    redis = RedisServer()
    try:
        async with _served(database_url, local_embedder, redis_url=redis.url) as http:
            ready = await http.get("/v1/admin/readiness")
            assert ready.status_code == 200, ready.text
            checks = _checks(ready)
            assert list(checks) == ["database", "embedder", "redis", "realtime"]
            assert all(c["ok"] for c in checks.values())
            assert checks["realtime"]["detail"].startswith("listener subscribed")
            assert checks["redis"]["latency_ms"] > 0
            assert checks["database"]["latency_ms"] > 0

            redis.stop()
            down = await http.get("/v1/admin/readiness")
            assert down.status_code == 503, down.text
            body = down.json()
            assert body["ready"] is False
            checks = _checks(down)
            assert checks["redis"]["ok"] is False
            assert "unreachable" in checks["redis"]["detail"]
            # the real-time listener is reported too: this process hears only itself
            await _until_not_subscribed(http)
            assert checks["redis"]["latency_ms"] < 3000  # bounded, not a hang
            assert checks["database"]["ok"] and checks["embedder"]["ok"]
            # liveness is unaffected, and requests are still served (limits fail open)
            assert (await http.get("/v1/admin/health")).status_code == 200
    finally:
        redis.stop()  # a no-op once stopped


async def test_readiness_without_redis_says_the_limits_are_in_memory(
    database_url: str, local_embedder: Embedder
) -> None:
    async with _served(database_url, local_embedder) as http:
        ready = await http.get("/v1/admin/readiness")
    assert ready.status_code == 200, ready.text
    redis = _checks(ready)["redis"]
    assert redis["ok"] is True
    assert redis["detail"].startswith("not configured: in-memory")


async def test_an_optional_redis_that_is_down_is_reported_but_keeps_readiness(
    database_url: str, local_embedder: Embedder
) -> None:
    redis = RedisServer()
    redis.stop()  # a URL where nothing listens
    async with _served(
        database_url, local_embedder, redis_url=redis.url, readiness_redis_required=False
    ) as http:
        ready = await http.get("/v1/admin/readiness")
    assert ready.status_code == 200, ready.text
    check = _checks(ready)["redis"]
    assert check["ok"] is False and check["detail"].endswith("(optional)")
    realtime = _checks(ready)["realtime"]
    assert realtime["ok"] is False and realtime["detail"].endswith("(optional)")
