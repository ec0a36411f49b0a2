"""The MCP server with the official SDK's own client, over both transports, against a real
`memory-mesh serve`: stdio (`memory-mesh mcp` as a subprocess, acting through the HTTP
API) and streamable HTTP (`/mcp` of the server itself)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import httpx
import httpx2
import pytest
from mcp import Client, StdioServerParameters
from mcp.client.streamable_http import streamable_http_client

from tests.clients.conftest import Account, make_account
from tests.conftest import RedisServer
from tests.e2e.server import running_server

pytestmark = pytest.mark.e2e

TOOLS = {"remember", "recall", "forget", "list_conversations", "conversation_stats"}


@asynccontextmanager
async def over_http(url: str, key: str) -> AsyncIterator[Client]:
    http = httpx2.AsyncClient(headers={"x-api-key": key}, timeout=60)
    async with http, Client(streamable_http_client(f"{url}/mcp", http_client=http)) as client:
        yield client


@asynccontextmanager
async def over_stdio(url: str, key: str) -> AsyncIterator[Client]:
    command = StdioServerParameters(
        command=sys.executable,
        args=["-m", "memory_mesh.cli", "mcp"],
        env={"MEMORY_MCP_SERVER_URL": url, "MEMORY_MCP_API_KEY": key},
    )
    async with Client(command, read_timeout_seconds=60) as client:
        yield client


Connect = Callable[[str, str], AbstractAsyncContextManager[Client]]
TRANSPORTS = [pytest.param(over_stdio, id="stdio"), pytest.param(over_http, id="http")]


async def call(client: Client, tool: str, **arguments: Any) -> dict[str, Any]:
    result = await client.call_tool(tool, arguments)
    assert not result.is_error, result.content
    assert isinstance(result.structured_content, dict)
    return result.structured_content


async def refused(client: Client, tool: str, **arguments: Any) -> str:
    result = await client.call_tool(tool, arguments)
    assert result.is_error
    return " ".join(getattr(block, "text", "") for block in result.content)


@pytest.mark.parametrize("connect", TRANSPORTS)
async def test_remember_recall_list_stats_and_forget(connect: Connect, account: Account) -> None:
    async with connect(account.url, account.key) as client:
        assert {tool.name for tool in (await client.list_tools()).tools} >= TOOLS
        stored = await call(
            client, "remember", content="I am allergic to peanuts", conversation="health"
        )
        await call(client, "remember", content="My sister lives in Lyon", conversation="family")

        found = await call(client, "recall", query="what food should I avoid?", top_k=2)
        best = found["results"][0]
        assert best["content"] == "I am allergic to peanuts"
        assert best["message_id"] == stored["message_id"]
        assert set(best["scores"]) >= {"score", "relevance", "similarity", "importance", "recency"}
        scoped = await call(client, "recall", query="peanuts", conversation="family")
        assert all(r["content"] != "I am allergic to peanuts" for r in scoped["results"])

        listed = await call(client, "list_conversations")
        assert {c["name"] for c in listed["conversations"]} == {"health", "family"}
        stats = await call(client, "conversation_stats", conversation="health")
        assert stats["message_count"] == 1 and stats["by_role"] == {"user": 1}

        await call(client, "forget", message_id=stored["message_id"])
        after = await call(client, "recall", query="what food should I avoid?")
        assert stored["message_id"] not in {r["message_id"] for r in after["results"]}
        gone = await call(client, "forget", conversation="family")
        assert gone["deleted_messages"] == 1

    # what the tools did is in the API, for the same tenant
    with httpx.Client(base_url=account.url, headers={"x-api-key": account.key}) as http:
        names = [c["external_id"] for c in http.get("/v1/conversations").json()["items"]]
    assert names == ["health"]


@pytest.mark.parametrize("connect", TRANSPORTS)
async def test_a_read_only_key_recalls_but_cannot_remember_or_forget(
    connect: Connect, account: Account
) -> None:
    async with connect(account.url, account.key) as writer:
        stored = await call(writer, "remember", content="the launch is on Friday")
    async with connect(account.url, account.read_key) as reader:
        assert "insufficient_scope" in await refused(reader, "remember", content="not stored")
        message = await refused(reader, "forget", message_id=stored["message_id"])
        assert "insufficient_scope" in message
        found = await call(reader, "recall", query="when is the launch?")
        assert [r["message_id"] for r in found["results"]] == [stored["message_id"]]


@pytest.mark.parametrize("connect", TRANSPORTS)
async def test_a_key_sees_nothing_of_another_tenant(
    connect: Connect, account: Account, other_account: Account
) -> None:
    async with connect(account.url, account.key) as mine:
        stored = await call(mine, "remember", content="the safe code is 4711", conversation="x")
    async with connect(account.url, other_account.key) as theirs:
        found = await call(theirs, "recall", query="what is the safe code?")
        assert found["results"] == []
        assert "message_not_found" in await refused(
            theirs, "forget", message_id=stored["message_id"]
        )
        stats = await refused(theirs, "conversation_stats", conversation=stored["conversation_id"])
        assert "conversation_not_found" in stats
        assert (await call(theirs, "list_conversations"))["conversations"] == []
    async with connect(account.url, account.key) as mine:
        again = await call(mine, "recall", query="what is the safe code?")
        assert [r["message_id"] for r in again["results"]] == [stored["message_id"]]


def test_the_http_endpoint_refuses_a_missing_or_bad_credential_and_logs_none(
    account: Account, server_log: list[str]
) -> None:
    request = {"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}}
    headers = {"accept": "application/json, text/event-stream"}
    with httpx.Client(base_url=account.url, headers=headers) as http:
        anonymous = http.post("/mcp", json=request)
        assert anonymous.status_code == 401
        assert anonymous.json()["code"] == "not_authenticated"
        bad = http.post("/mcp", json=request, headers={"x-api-key": "mm_wrong"})
        assert bad.status_code == 401
        assert bad.json()["code"] == "invalid_api_key"
        call = {
            "jsonrpc": "2.0",
            "id": 2,
            "method": "tools/call",
            "params": {"name": "remember", "arguments": {"content": "logged?"}},
        }
        good = http.post("/mcp", json=call, headers={"x-api-key": account.key})
        assert good.status_code == 200, good.text
        assert good.json()["result"]["isError"] is False
    assert any("/mcp" in line for line in server_log)  # the requests were logged...
    assert not any(account.key in line or "mm_wrong" in line for line in server_log)  # ...not keys


@pytest.fixture(scope="module")
def limited_url(
    tmp_path_factory: pytest.TempPathFactory, redis_server: RedisServer
) -> Iterator[str]:
    """A server whose tenants may make 6 requests a minute."""
    env = {"MEMORY_REDIS_URL": redis_server.url, "MEMORY_TENANT_RATE_LIMIT": "6/minute"}
    with running_server(tmp_path_factory.mktemp("limited"), **env) as url:
        yield url


@pytest.mark.parametrize("connect", TRANSPORTS)
async def test_tool_calls_count_against_the_tenants_rate_limit(
    connect: Connect, limited_url: str
) -> None:
    account = make_account(limited_url)  # its two API keys took 2 of the 6
    async with connect(limited_url, account.read_key) as client:
        outcomes = []
        for _ in range(6):
            result = await client.call_tool("recall", {"query": "anything"})
            outcomes.append(result.is_error)
            if result.is_error:
                message = " ".join(getattr(b, "text", "") for b in result.content)
                assert "rate_limited" in message
                break
    assert outcomes == [False] * 4 + [True]
    # the same counter as the HTTP API's: the tenant is refused there too
    with httpx.Client(base_url=limited_url, headers={"x-api-key": account.key}) as http:
        refused = http.get("/v1/conversations")
    assert refused.status_code == 429
    assert refused.json()["code"] == "rate_limited"


def test_the_stdio_server_needs_a_key() -> None:
    environment = {"PATH": "/usr/bin:/bin", "MEMORY_MCP_SERVER_URL": "http://127.0.0.1:9"}
    ran = subprocess.run(
        [sys.executable, "-m", "memory_mesh.cli", "mcp"],
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )
    assert ran.returncode == 2
    assert "MEMORY_MCP_API_KEY" in ran.stderr
