"""A Redis that hangs — accepts connections and never answers, or stops answering on a
connection already open — degrades exactly like a Redis that is down: the limiter fails
open to in-memory counts, the real-time bus keeps local delivery, the WebSocket
connection store answers a clear 503 / error frame, and readiness says so (Redis and the
real-time listener). Nothing waits longer than the Redis timeout per call.

The "already open" case goes through :class:`FreezableProxy`, a TCP proxy in front of a
real Redis that can stop forwarding in both directions without closing anything.
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from memory_mesh.cloud.connections import ConnectionRegistry
from memory_mesh.cloud.lambda_runtime import LambdaContainer
from memory_mesh.cloud.websocket import WebSocketRoutes
from memory_mesh.embeddings import Embedder
from memory_mesh.errors import ServiceUnavailable
from memory_mesh.http.app import create_app
from memory_mesh.ratelimit.limiter import RateLimiter
from memory_mesh.realtime.bus import RedisBus
from memory_mesh.realtime.hub import Hub, Subscriber
from memory_mesh.runtime import Runtime
from tests.conftest import (
    RedisServer,
    SilentListener,
    http_client,
    make_settings,
    make_tenant,
)
from tests.infra.lambda_support import load_event

LIVENESS = 30.0  # seconds: a bound against hangs, not a performance assertion


def _url(listener: SilentListener) -> str:
    return f"redis://127.0.0.1:{listener.port}/0"


async def _until(predicate: Callable[[], bool], *, what: str) -> None:
    deadline = time.monotonic() + LIVENESS
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.02)


async def test_the_limiter_fails_open_to_memory_counts_when_redis_hangs(
    silent_listener: SilentListener,
) -> None:
    limiter = RateLimiter(_url(silent_listener), timeout=0.2)
    try:
        decisions = [
            await asyncio.wait_for(limiter.hit("2/minute", "k"), LIVENESS) for _ in range(3)
        ]
        assert [d.allowed for d in decisions] == [True, True, False]  # still limited
        assert limiter.backend == "memory-fallback"
        assert silent_listener.accepted >= 1  # it did reach the hung Redis
        assert await asyncio.wait_for(limiter.ping(), LIVENESS) is False
    finally:
        await limiter.close()


async def test_the_bus_keeps_local_delivery_when_redis_hangs_from_the_start(
    silent_listener: SilentListener,
) -> None:
    hub = Hub()
    here = Subscriber("acme", None, 100)
    hub.add(here)
    bus = RedisBus(hub, _url(silent_listener), timeout=0.2)
    try:
        await asyncio.wait_for(bus.start(), LIVENESS)
        assert not bus.subscribed  # never confirmed: it does not count as listening
        bus.publish({"type": "message.created", "tenant_id": "acme", "n": 1})
        assert here.queue.get_nowait()["n"] == 1  # at once, whatever Redis does
    finally:
        await asyncio.wait_for(bus.stop(), LIVENESS)


class FreezableProxy:
    """TCP proxy to ``127.0.0.1:upstream``; :meth:`freeze` stops forwarding both ways
    while keeping every connection open (a Redis that hangs mid-conversation)."""

    def __init__(self, upstream: int) -> None:
        self.upstream = upstream
        self._server = socket.create_server(("127.0.0.1", 0))
        self.port = int(self._server.getsockname()[1])
        self.frozen = threading.Event()
        self._stop = threading.Event()
        self._sockets: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        self._server.settimeout(0.1)
        while not self._stop.is_set():
            try:
                client, _ = self._server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            server = socket.create_connection(("127.0.0.1", self.upstream))
            self._sockets += [client, server]
            for src, dst in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(src, dst), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket) -> None:
        src.settimeout(0.05)
        while not self._stop.is_set():
            if self.frozen.is_set():
                time.sleep(0.05)  # read nothing, forward nothing, close nothing
                continue
            try:
                data = src.recv(65536)
            except TimeoutError:
                continue
            except OSError:
                return
            if not data:
                return
            try:
                dst.sendall(data)
            except OSError:
                return

    def freeze(self) -> None:
        self.frozen.set()

    def close(self) -> None:
        self._stop.set()
        self._server.close()
        for sock in self._sockets:
            sock.close()


@pytest.fixture
def proxy(redis_server: RedisServer) -> Iterator[FreezableProxy]:
    proxy = FreezableProxy(redis_server.port)
    yield proxy
    proxy.close()


async def test_a_listener_on_a_redis_that_stops_answering_notices_and_delivers_locally(
    proxy: FreezableProxy,
) -> None:
    hub = Hub()
    here = Subscriber("acme", None, 100)
    hub.add(here)
    url = f"redis://127.0.0.1:{proxy.port}/0"
    bus = RedisBus(hub, url, timeout=0.3, heartbeat_seconds=0.5)
    try:
        await bus.start()
        assert bus.subscribed
        bus.publish({"type": "message.created", "tenant_id": "acme", "n": 0})
        await _until(lambda: here.queue.qsize() == 1, what="the event through Redis")
        # WHEN Redis stops answering on the open connections (nothing is closed)
        proxy.freeze()
        frozen = time.monotonic()
        # THEN the listener's unanswered PING shows it, and it stops counting as listening
        await _until(lambda: not bus.subscribed, what="the listener to notice the hang")
        noticed = time.monotonic() - frozen
        bus.publish({"type": "message.created", "tenant_id": "acme", "n": 1})
        assert here.queue.qsize() == 2  # delivered here at once
    finally:
        await asyncio.wait_for(bus.stop(), LIVENESS)
    assert [here.queue.get_nowait()["n"] for _ in range(2)] == [0, 1]
    print(f"\nFAULT redis hang (bus): listener noticed {noticed:.2f} s after the freeze")


def test_the_connection_store_on_a_hung_redis_raises_a_503_error(
    silent_listener: SilentListener,
) -> None:
    registry = ConnectionRegistry.from_url(_url(silent_listener), ttl_seconds=60, timeout=0.2)
    with pytest.raises(ServiceUnavailable) as raised:
        registry.add("c1", tenant_id="acme")
    assert raised.value.code == "connection_store_unavailable"
    with pytest.raises(ServiceUnavailable):
        registry.remove("c1")


def test_the_cluster_connection_store_on_a_hung_redis_raises_a_503_error_when_made(
    silent_listener: SilentListener,
) -> None:
    # the cluster client asks for the slot map as it is made: that fails clearly too
    with pytest.raises(ServiceUnavailable) as raised:
        ConnectionRegistry.from_url(
            f"redis://127.0.0.1:{silent_listener.port}", ttl_seconds=60, cluster=True, timeout=0.2
        )
    assert raised.value.code == "connection_store_unavailable"


def test_websocket_routes_answer_clearly_when_the_connection_store_hangs(
    database_url: str, silent_listener: SilentListener
) -> None:
    settings = make_settings(
        database_url, redis_url=_url(silent_listener), redis_timeout_seconds=0.2
    )
    routes = WebSocketRoutes(LambdaContainer(settings))

    def event(name: str) -> dict[str, Any]:
        loaded = load_event(name)
        loaded["requestContext"]["connectionId"] = "c-hung"
        return loaded

    # a disconnect is let go: the record's TTL forgets the connection
    assert routes.handle(event("websocket_disconnect")) == {"statusCode": 200}
    # a frame is answered with an error frame naming the cause, not a Lambda error
    frame = json.loads(routes.handle(event("websocket_message_search"))["body"])
    assert frame["type"] == "error" and frame["code"] == "connection_store_unavailable"


async def test_readiness_reports_a_hung_redis_and_the_listener_while_requests_are_served(
    database_url: str, local_embedder: Embedder, silent_listener: SilentListener
) -> None:
    settings = make_settings(
        database_url, redis_url=_url(silent_listener), redis_timeout_seconds=0.2
    )
    runtime = await asyncio.wait_for(
        Runtime.start(settings, embedder=local_embedder, run_worker=False), LIVENESS
    )
    app = create_app(runtime.settings)
    app.state.runtime = runtime
    try:
        async with http_client(app) as http:
            ready = await asyncio.wait_for(http.get("/v1/admin/readiness"), LIVENESS)
            assert ready.status_code == 503, ready.text
            checks = {c["name"]: c for c in ready.json()["checks"]}
            assert checks["redis"]["ok"] is False
            assert checks["realtime"]["ok"] is False
            assert checks["database"]["ok"] and checks["embedder"]["ok"]
        # requests are still served and limited: the limiter fails open to memory
        _tenant, key = await make_tenant(runtime)
        async with http_client(app, key) as http:
            listed = await asyncio.wait_for(http.get("/v1/conversations"), LIVENESS)
            assert listed.status_code == 200, listed.text
            assert "x-ratelimit-remaining" in listed.headers
            assert runtime.limiter.backend == "memory-fallback"
    finally:
        await asyncio.wait_for(runtime.stop(), LIVENESS)
