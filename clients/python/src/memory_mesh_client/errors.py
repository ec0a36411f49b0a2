"""Typed exceptions carrying the server's error body: ``{code, message, request_id, details}``.

Catch :class:`MemoryMeshError` for everything, a subclass for one kind, and branch on
``code`` (stable, e.g. ``content_empty``, ``conversation_not_found``) for the exact cause.
"""

from __future__ import annotations

from typing import Any

import httpx


class MemoryMeshError(Exception):
    """An error answer of the server (or no answer at all: :class:`ConnectionFailed`)."""

    def __init__(
        self,
        message: str,
        *,
        code: str,
        status: int | None = None,
        request_id: str | None = None,
        details: list[dict[str, Any]] | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(f"{code}: {message}" + (f" (request {request_id})" if request_id else ""))
        self.message = message
        self.code = code
        self.status = status
        self.request_id = request_id
        self.details = details or []
        self.retry_after = retry_after


class BadRequest(MemoryMeshError):
    """400 / 422: the request is wrong; ``details`` names the fields."""


class AuthenticationError(MemoryMeshError):
    """401: no credential, a bad one, or an expired session that could not be refreshed."""


class PermissionDenied(MemoryMeshError):
    """403: the credential lacks the tenant (``tenant_forbidden``) or the scope
    (``insufficient_scope``)."""


class NotFound(MemoryMeshError):
    """404: no such object in the tenant (another tenant's id looks exactly the same)."""


class Conflict(MemoryMeshError):
    """409: e.g. ``request_in_progress`` (the same idempotency key is still running)."""


class RateLimited(MemoryMeshError):
    """429 after every retry: ``retry_after`` says how many seconds to wait."""


class ServiceUnavailable(MemoryMeshError):
    """503 after every retry (``datastore_unavailable``, ``embedding_unavailable``, ...)."""


class ServerError(MemoryMeshError):
    """Another 5xx: quote ``request_id`` when reporting it."""


class ConnectionFailed(MemoryMeshError):
    """No answer from the server after every retry (refused, reset, timed out)."""


_BY_STATUS: dict[int, type[MemoryMeshError]] = {
    400: BadRequest,
    401: AuthenticationError,
    403: PermissionDenied,
    404: NotFound,
    409: Conflict,
    413: BadRequest,
    415: BadRequest,
    422: BadRequest,
    429: RateLimited,
    503: ServiceUnavailable,
}


def retry_after_seconds(response: httpx.Response) -> float | None:
    """``Retry-After`` in seconds (the server sends whole seconds), or None."""
    value = response.headers.get("retry-after")
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None


def error_from_response(response: httpx.Response) -> MemoryMeshError:
    """The exception for an error answer, from its JSON body when it has one."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        body = {}
    status = response.status_code
    kind = _BY_STATUS.get(status, ServerError if status >= 500 else MemoryMeshError)
    return kind(
        str(body.get("message") or response.reason_phrase or f"HTTP {status}"),
        code=str(body.get("code") or f"http_{status}"),
        status=status,
        request_id=body.get("request_id") or response.headers.get("x-request-id"),
        details=body.get("details") if isinstance(body.get("details"), list) else None,
        retry_after=retry_after_seconds(response),
    )
