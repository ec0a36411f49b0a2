"""Real-time over real WebSockets against real server processes sharing one Redis."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import websockets
from websockets.exceptions import ConnectionClosed

from tests.conftest import RedisServer
from tests.e2e.server import running_server

pytestmark = pytest.mark.e2e

PASSWORD = "a long enough passphrase"


def _account(url: str, tenant: str) -> tuple[str, str]:
    """Register (idempotently) and sign in; return (access token, an admin API key)."""
    creds = {"email": f"owner@{tenant}.example.com", "password": PASSWORD}
    with httpx.Client(base_url=url, timeout=30) as http:
        http.post("/v1/auth/register", json={**creds, "tenant_id": tenant})
        token = http.post("/v1/auth/login", json=creds).json()["access_token"]
        key = http.post(
            "/v1/auth/api-keys",
            headers={"authorization": f"Bearer {token}"},
            json={"name": "ws", "scopes": ["read", "write", "admin"]},
        ).json()["key"]
    return token, key


def _ws(url: str, path: str) -> str:
    return url.replace("http://", "ws://") + path


@pytest.fixture
def two_servers(tmp_path: Path, redis_server: RedisServer) -> Iterator[tuple[str, str, list[str]]]:
    env = {"MEMORY_REDIS_URL": redis_server.url, "MEMORY_REALTIME_BUFFER_SIZE": "8"}
    log: list[str] = []
    with running_server(tmp_path, output=log, **env) as a, running_server(tmp_path, **env) as b:
        yield a, b, log


async def _next_of(ws: Any, kind: str, timeout: float = 30) -> dict[str, Any]:
    async with asyncio.timeout(timeout):
        while True:
            frame = json.loads(await ws.recv())
            if frame["type"] == kind:
                return frame


async def test_a_message_stored_on_one_process_reaches_a_subscriber_on_another(
    two_servers: tuple[str, str, list[str]],
) -> None:
    url_a, url_b, _ = two_servers
    token_a, key_a = _account(url_a, "alpha")
    _, key_b = _account(url_a, "beta")
    async with (
        websockets.connect(
            _ws(url_b, "/ws/messages/alpha"), subprotocols=["memory-mesh.v1", f"auth.{token_a}"]
        ) as alpha,
        websockets.connect(
            _ws(url_b, "/ws/messages/beta"), additional_headers={"x-api-key": key_b}
        ) as beta,
    ):
        assert alpha.subprotocol == "memory-mesh.v1"
        assert (await _next_of(alpha, "ready"))["tenant_id"] == "alpha"
        await _next_of(beta, "ready")
        async with httpx.AsyncClient(base_url=url_a, headers={"x-api-key": key_a}) as http:
            conv = (await http.post("/v1/conversations", json={"title": "live"})).json()["id"]
            stored = (
                await http.post(
                    "/v1/messages",
                    json={
                        "conversation_id": conv,
                        "role": "user",
                        "content": "the gate code is 4412",
                    },
                )
            ).json()
        created = await _next_of(alpha, "message.created")
        assert created["message"]["id"] == stored["id"]
        assert created["message"]["content"] == "the gate code is 4412"
        assert created["tenant_id"] == "alpha" and created["time"]
        embedded = await _next_of(alpha, "message.embedded")
        assert embedded["message"]["embedding"]["status"] == "ready"
        # tenant beta's subscriber heard nothing of alpha
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(1.5):
                while True:
                    frame = json.loads(await beta.recv())
                    assert frame["type"] == "ping", frame


async def test_stream_search_returns_the_same_results_as_http(
    two_servers: tuple[str, str, list[str]],
) -> None:
    url_a, _, _ = two_servers
    _, key = _account(url_a, "gamma")
    async with httpx.AsyncClient(base_url=url_a, headers={"x-api-key": key}) as http:
        conv = (await http.post("/v1/conversations", json={})).json()["id"]
        items = [
            {"conversation_id": conv, "role": "user", "content": text}
            for text in (
                "We booked the hotel in Kyoto for April.",
                "The car needs new tyres.",
                "My sister's birthday is on June 3rd.",
                "Remember to water the ferns.",
            )
        ]
        await http.post("/v1/messages/batch", json={"items": items})
        expected = (
            await http.get(
                "/v1/memory/search", params={"query": "travel plans in Japan", "top_k": 3}
            )
        ).json()
    async with websockets.connect(
        _ws(url_a, "/ws/stream/gamma"), additional_headers={"x-api-key": key}
    ) as ws:
        await _next_of(ws, "ready")
        await ws.send(
            json.dumps(
                {"type": "search", "query": "travel plans in Japan", "top_k": 3, "request_id": "r1"}
            )
        )
        results = []
        while True:
            frame = json.loads(await ws.recv())
            if frame["type"] == "done":
                break
            assert frame["type"] == "result" and frame["request_id"] == "r1"
            results.append(frame)
        assert frame["count"] == 3
        assert [r["rank"] for r in results] == [1, 2, 3]
        assert [r["hit"]["message"]["id"] for r in results] == [
            h["message"]["id"] for h in expected["results"]
        ]
        assert [r["hit"]["scores"]["score"] for r in results] == [
            h["scores"]["score"] for h in expected["results"]
        ]
        # a bad request is an error frame; the socket stays open for the next one
        await ws.send(json.dumps({"type": "search", "query": "x", "top_k": 0}))
        error = json.loads(await ws.recv())
        assert error["type"] == "error" and error["code"] == "invalid_top_k"
        await ws.send("not json")
        assert json.loads(await ws.recv())["code"] == "invalid_json"
        await ws.send(json.dumps({"type": "search", "query": "car maintenance", "top_k": 1}))
        assert json.loads(await ws.recv())["type"] == "result"


async def test_bad_credentials_get_an_error_frame_and_a_clear_close_code(
    two_servers: tuple[str, str, list[str]],
) -> None:
    url_a, _, log = two_servers
    _, key = _account(url_a, "delta")
    _account(url_a, "epsilon")
    cases = [
        ("/ws/messages/delta", {}, 4401, "not_authenticated"),
        ("/ws/messages/delta", {"x-api-key": "mm_forged"}, 4401, "invalid_api_key"),
        ("/ws/messages/epsilon", {"x-api-key": key}, 4403, "tenant_forbidden"),
    ]
    for path, headers, close_code, code in cases:
        async with websockets.connect(_ws(url_a, path), additional_headers=headers) as ws:
            frame = json.loads(await ws.recv())
            assert (frame["type"], frame["code"]) == ("error", code)
            with pytest.raises(ConnectionClosed) as closed:
                await ws.recv()
            assert closed.value.rcvd is not None and closed.value.rcvd.code == close_code
    # the query-string form works and its credential never reaches the log
    async with websockets.connect(_ws(url_a, f"/ws/messages/delta?api_key={key}")) as ws:
        assert json.loads(await ws.recv())["type"] == "ready"
    await asyncio.sleep(0.3)
    assert not any(key in line for line in log)


async def test_a_subscriber_that_stops_reading_is_dropped_without_slowing_writes(
    tmp_path: Path,
) -> None:
    log: list[str] = []
    env = {"MEMORY_REALTIME_BUFFER_SIZE": "8", "MEMORY_EMBEDDING_MODE": "async"}
    with running_server(tmp_path, output=log, **env) as url:
        _, key = _account(url, "zeta")
        slow = await websockets.connect(
            _ws(url, "/ws/messages/zeta"),
            additional_headers={"x-api-key": key},
            max_queue=1,
            ping_interval=None,
        )
        async with httpx.AsyncClient(base_url=url, headers={"x-api-key": key}, timeout=60) as http:
            conv = (await http.post("/v1/conversations", json={})).json()["id"]
            # ~17 MB of events for a client that never reads; every write still succeeds
            for batch in range(6):
                items = [
                    {
                        "conversation_id": conv,
                        "role": "user",
                        "content": f"batch {batch} item {i} " + "padding " * 3500,
                    }
                    for i in range(100)
                ]
                response = await http.post("/v1/messages/batch", json={"items": items})
                assert response.status_code == 200 and response.json()["succeeded"] == 100
            stats = (await http.get(f"/v1/conversations/{conv}/stats")).json()
            assert stats["message_count"] == 600
            # the server dropped it for falling behind: its buffer of 8 events overflowed
            # (logged, close 1013 queued behind the unread data) and it left the hub —
            # observed on the server, whatever the client's TCP buffers still hold
            deadline = asyncio.get_running_loop().time() + 60
            while True:
                gauge = await _gauge(http, "memory_mesh_websocket_connections")
                if gauge == 0 and any("too slow: dropped" in line for line in log):
                    break
                assert asyncio.get_running_loop().time() < deadline, (gauge, log[-5:])
                await asyncio.sleep(0.5)
        await slow.close()


async def _gauge(http: httpx.AsyncClient, name: str) -> float:
    text = (await http.get("/metrics")).text
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    raise AssertionError(f"{name} not exported")


async def test_a_subscriber_names_a_conversation_by_own_id_before_it_exists(
    two_servers: tuple[str, str, list[str]],
) -> None:
    url_a, url_b, _ = two_servers
    _, key = _account(url_a, "zeta")
    headers = {"x-api-key": key}
    async with websockets.connect(
        _ws(url_b, "/ws/messages/zeta?conversation_id=user-123"), additional_headers=headers
    ) as ws:
        ready = await _next_of(ws, "ready")
        assert ready["conversation_id"] == "user-123"
        async with httpx.AsyncClient(base_url=url_a, headers=headers) as http:
            for conversation, content in [("user-124", "not this one"), ("user-123", "this one")]:
                answer = await http.post(
                    "/v1/messages",
                    json={"conversation_id": conversation, "role": "user", "content": content},
                )
                assert answer.status_code == 201, answer.text
        created = await _next_of(ws, "message.created")
        assert created["conversation_external_id"] == "user-123"
        assert created["message"]["content"] == "this one"
        assert created["conversation_id"] == answer.json()["conversation_id"]
    # the server's id works as well, and a malformed one is refused with a clear close
    by_uuid = f"/ws/messages/zeta?conversation_id={answer.json()['conversation_id']}"
    async with websockets.connect(_ws(url_b, by_uuid), additional_headers=headers) as ws:
        await _next_of(ws, "ready")
    async with websockets.connect(
        _ws(url_b, "/ws/messages/zeta?conversation_id=not%20an%20id"), additional_headers=headers
    ) as ws:
        frame = json.loads(await ws.recv())
        assert (frame["type"], frame["code"]) == ("error", "invalid_conversation_id")
        with pytest.raises(ConnectionClosed) as closed:
            await ws.recv()
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 4422
