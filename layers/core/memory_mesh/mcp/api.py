"""The /v1 HTTP API as the MCP tools need it, with the caller's credential.

Both MCP transports go through it, so a tool call is an ordinary API request: the same
authentication, scopes, tenant isolation, rate limits, validation and error codes.
- stdio (``memory-mesh mcp``): over the network to ``MEMORY_MCP_SERVER_URL``;
- /mcp of ``memory-mesh serve``: in-process, over ASGI to the serving app itself.

Writes carry an ``Idempotency-Key`` kept across retries (429 after ``Retry-After``, 503
and lost connections, with backoff), so a retried remember never stores twice.
"""

from __future__ import annotations

import asyncio
import random
import uuid
from typing import Any

import httpx

RETRY_STATUSES = frozenset({429, 503})
ATTEMPTS = 4
MAX_RETRY_AFTER = 30.0


class ApiError(Exception):
    """An error answer of the API: its stable ``code``, message and request id."""

    def __init__(self, status: int, code: str, message: str, request_id: str | None) -> None:
        super().__init__(f"{code}: {message}" + (f" (request {request_id})" if request_id else ""))
        self.status = status
        self.code = code


def _error(response: httpx.Response) -> ApiError:
    try:
        body = response.json()
    except ValueError:
        body = {}
    body = body if isinstance(body, dict) else {}
    return ApiError(
        response.status_code,
        str(body.get("code") or f"http_{response.status_code}"),
        str(body.get("message") or response.reason_phrase),
        body.get("request_id") or response.headers.get("x-request-id"),
    )


def _delay(attempt: int, response: httpx.Response | None) -> float | None:
    if attempt >= ATTEMPTS:
        return None
    if response is not None:
        if response.status_code not in RETRY_STATUSES:
            return None
        after = response.headers.get("retry-after")
        if after is not None and after.isdigit():
            return float(after) if float(after) <= MAX_RETRY_AFTER else None
    return random.uniform(0, 0.25 * 2 ** (attempt - 1))


class MemoryApi:
    """The calls the tools make, over one ``httpx.AsyncClient`` holding the credential."""

    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http

    async def request(self, method: str, path: str, **kwargs: Any) -> Any:
        """Send, retrying what is safe to retry; the JSON answer, or raise :class:`ApiError`."""
        headers = dict(kwargs.pop("headers", {}))
        if method in ("POST", "PUT", "DELETE"):
            headers.setdefault("Idempotency-Key", str(uuid.uuid4()))
        attempt = 0
        while True:
            attempt += 1
            try:
                response = await self.http.request(method, path, headers=headers, **kwargs)
            except httpx.TransportError as exc:
                delay = _delay(attempt, None)
                if delay is None:
                    reason = str(exc) or type(exc).__name__
                    raise ApiError(0, "connection_failed", reason, None) from exc
                await asyncio.sleep(delay)
                continue
            if response.is_success:
                return response.json() if response.content else None
            delay = _delay(attempt, response)
            if delay is None:
                raise _error(response)
            await asyncio.sleep(delay)

    @staticmethod
    def conversation_ref(conversation: str) -> str:
        """How the API names the conversation an agent names: its id (a UUID) as it is, any
        other name as the tenant's own conversation id (made by the first message in it)."""
        return conversation
