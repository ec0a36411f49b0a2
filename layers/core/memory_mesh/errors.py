"""Application errors: each has a stable ``code`` and the HTTP status it maps to.

This is the one error-to-status table. Services raise these; the HTTP layer renders
``{code, message, request_id, details}``; Lambda adapters reuse the same rendering.
"""

from __future__ import annotations

from typing import Any


class AppError(Exception):
    """An error the client can act on. ``code`` never changes once published."""

    status: int = 400
    code: str = "bad_request"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        details: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.details = details or []
        self.headers = headers or {}


class InvalidInput(AppError):
    status = 422
    code = "validation_error"


class NotFound(AppError):
    status = 404
    code = "not_found"


class Conflict(AppError):
    status = 409
    code = "conflict"


class PayloadTooLarge(AppError):
    status = 413
    code = "payload_too_large"


class TooManyRequests(AppError):
    status = 429
    code = "rate_limited"


class ServiceUnavailable(AppError):
    status = 503
    code = "service_unavailable"
