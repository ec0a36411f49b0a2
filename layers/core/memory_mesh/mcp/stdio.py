"""``memory-mesh mcp``: an MCP server on stdin/stdout for desktop agents and IDEs.

A thin process: each tool call is an API request to ``MEMORY_MCP_SERVER_URL`` with the
API key in ``MEMORY_MCP_API_KEY``. So it works against any Memory Mesh (the local
server, or the AWS deployment), never opens the database itself (a second embedded
PostgreSQL on the same data directory would fight the server's), and the server applies
its own scopes, tenant isolation and rate limits.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from mcp.server.mcpserver import Context

from memory_mesh import __version__
from memory_mesh.mcp.api import MemoryApi
from memory_mesh.mcp.tools import build_server


async def run_stdio(server_url: str, api_key: str, timeout: float = 30.0) -> None:
    """Serve MCP on stdio until the client closes it."""
    headers = {"x-api-key": api_key, "user-agent": f"memory-mesh-mcp/{__version__}"}
    async with httpx.AsyncClient(base_url=server_url, headers=headers, timeout=timeout) as http:
        api = MemoryApi(http)

        @asynccontextmanager
        async def connect(_: Context) -> AsyncIterator[MemoryApi]:
            yield api

        await build_server(connect).run_stdio_async()
