"""``/mcp`` of the local server: MCP over streamable HTTP, authenticated by the caller's
API key (``x-api-key``) or access token (``Authorization: Bearer``).

The credential is checked before any MCP message is read (401 with the API's error body
otherwise); each tool call then runs as ordinary API requests with that credential,
in-process over ASGI, so scopes, tenant isolation and rate limits are exactly the API's.
Stateless: any server process can answer any request, as with the rest of the API.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import httpx
from fastapi import FastAPI
from mcp.server.mcpserver import Context
from mcp.server.transport_security import TransportSecuritySettings
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from memory_mesh.domain.identity import Unauthorized
from memory_mesh.errors import AppError
from memory_mesh.http.context import request_id_var
from memory_mesh.http.errors import render_app_error
from memory_mesh.mcp.api import MemoryApi
from memory_mesh.mcp.tools import build_server

PATH = "/mcp"
CREDENTIAL_HEADERS = ("x-api-key", "authorization")


def _credential(headers: Headers) -> str | None:
    key = headers.get("x-api-key")
    if key:
        return key
    scheme, _, token = headers.get("authorization", "").partition(" ")
    return token if scheme.lower() == "bearer" and token else None


@asynccontextmanager
async def _in_process(ctx: Context) -> AsyncIterator[MemoryApi]:
    """The caller's API, in-process: the serving app itself over ASGI."""
    request = ctx.request_context.request
    if not isinstance(request, Request):
        raise RuntimeError("the /mcp tools run only inside an HTTP request")
    forwarded = {h: request.headers[h] for h in CREDENTIAL_HEADERS if h in request.headers}
    request_id = request_id_var.get()
    if request_id:
        forwarded["x-request-id"] = request_id  # the tool's API calls log under the same id
    transport = httpx.ASGITransport(app=request.scope["app"])
    async with httpx.AsyncClient(
        transport=transport, base_url="http://memory-mesh.mcp", headers=forwarded, timeout=None
    ) as http:
        yield MemoryApi(http)


class McpEndpoint:
    """ASGI app of ``/mcp``: refuse a missing or bad credential, then serve MCP."""

    def __init__(self, handle: Any) -> None:
        self.handle = handle

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        runtime = scope["app"].state.runtime
        credential = _credential(Headers(scope=scope))
        try:
            if not credential:
                raise Unauthorized(
                    "authenticate with 'x-api-key: <key>' or 'Authorization: Bearer <token>'",
                    code="not_authenticated",
                    headers={"WWW-Authenticate": "Bearer"},
                )
            await runtime.auth.principal_from_credential(credential)
        except AppError as exc:
            await render_app_error(exc)(scope, receive, send)
            return
        await self.handle(scope, receive, send)


def mount_mcp(app: FastAPI) -> AbstractAsyncContextManager[None]:
    """Add ``/mcp`` to ``app``; the returned context runs its sessions (enter it in the
    app's lifespan)."""
    server = build_server(_in_process)
    # every request carries a credential checked above, so DNS-rebinding checks of the
    # Host header would only refuse legitimate names of the server (as the API does not)
    server.streamable_http_app(
        streamable_http_path=PATH,
        stateless_http=True,
        json_response=True,
        transport_security=TransportSecuritySettings(enable_dns_rebinding_protection=False),
    )
    manager = server.session_manager
    app.router.routes.append(
        Route(PATH, endpoint=McpEndpoint(manager.handle_request), methods=["GET", "POST", "DELETE"])
    )
    return manager.run()
