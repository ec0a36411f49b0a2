"""Frames of the WebSocket endpoints, shared by the sync and async clients.

``/ws/messages/{tenant}``: ``ready``, then ``message.*`` events and ``ping`` frames.
``/ws/stream/{tenant}``: send ``{"type": "search", ...}``, receive ``result`` frames in
rank order, then ``done``. Errors are ``{"type": "error", code, message}`` frames; a refused
connection closes with 4401 (not authenticated) or 4403 (tenant not held).
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote, urlencode

from memory_mesh_client.errors import (
    AuthenticationError,
    BadRequest,
    MemoryMeshError,
    PermissionDenied,
    RateLimited,
)

CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403


def ws_url(base_url: str, path: str, tenant_id: str, **query: str | None) -> str:
    base = base_url.rstrip("/")
    scheme, rest = base.split("://", 1)
    ws_scheme = "wss" if scheme == "https" else "ws"
    params = {k: v for k, v in query.items() if v is not None}
    suffix = f"?{urlencode(params)}" if params else ""
    return f"{ws_scheme}://{rest}{path}/{quote(tenant_id, safe='')}{suffix}"


def parse(raw: str | bytes) -> dict[str, Any]:
    frame = json.loads(raw)
    if not isinstance(frame, dict):
        raise MemoryMeshError("the server sent a frame that is not an object", code="bad_frame")
    return frame


def frame_error(frame: dict[str, Any], close_code: int | None = None) -> MemoryMeshError:
    """The exception for an ``error`` frame (and the close code that followed, if any)."""
    code = str(frame.get("code") or "websocket_error")
    message = str(frame.get("message") or code)
    kind: type[MemoryMeshError]
    if close_code == CLOSE_UNAUTHENTICATED:
        kind = AuthenticationError
    elif close_code == CLOSE_FORBIDDEN or code in ("tenant_forbidden", "insufficient_scope"):
        kind = PermissionDenied
    elif code == "rate_limited":
        kind = RateLimited
    else:
        kind = BadRequest
    return kind(message, code=code, request_id=frame.get("request_id"))


def closed_error(code: int | None, reason: str | None) -> MemoryMeshError:
    """The exception for a socket the server closed before sending an error frame."""
    frame = {"code": reason or f"closed_{code}", "message": f"connection closed ({code})"}
    return frame_error(frame, code)
