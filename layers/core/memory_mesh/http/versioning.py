"""API versioning: mark one route, or every route under a prefix (a whole version),
deprecated.

A deprecated operation keeps working, and every answer it gives (errors included) says so:

- ``Deprecation: @<unix seconds>`` (RFC 9745) — since when (a future date announces it);
- ``Sunset: <HTTP date>`` (RFC 8594) — when it may stop answering;
- ``Link: <successor>; rel="successor-version"`` and, if given,
  ``<documentation>; rel="deprecation"`` (RFC 9745 section 3).

The OpenAPI document shows ``deprecated: true`` on the operation, a note at the head of
its description, and an ``x-deprecation`` object (since, sunset, successor, documentation).

Two ways to mark:

- one route, where it is declared::

      @router.get("/old", **deprecated_route(Deprecation(since=..., successor="/v1/new")))

- a whole prefix, when the app is built: ``deprecate_prefix(app, "/v0", Deprecation(...))``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any

from fastapi import FastAPI
from starlette.types import ASGIApp, Message, Receive, Scope, Send

X_DEPRECATION = "x-deprecation"


@dataclass(frozen=True)
class Deprecation:
    since: datetime  # aware
    sunset: datetime | None = None
    successor: str | None = None  # path or URL of what replaces it
    documentation: str | None = None  # URL of the deprecation notice

    def __post_init__(self) -> None:
        for moment in (self.since, self.sunset):
            if moment is not None and moment.tzinfo is None:
                raise ValueError("Deprecation dates need a time zone")

    def headers(self) -> list[tuple[bytes, bytes]]:
        """The response headers announcing this deprecation."""
        headers = [(b"deprecation", f"@{int(self.since.timestamp())}".encode())]
        if self.sunset is not None:
            sunset = format_datetime(self.sunset.astimezone(UTC), usegmt=True)
            headers.append((b"sunset", sunset.encode()))
        links = []
        if self.successor is not None:
            links.append(f'<{self.successor}>; rel="successor-version"')
        if self.documentation is not None:
            links.append(f'<{self.documentation}>; rel="deprecation"; type="text/html"')
        if links:
            headers.append((b"link", ", ".join(links).encode()))
        return headers

    def note(self) -> str:
        """The sentence put at the head of the operation's OpenAPI description."""
        parts = [f"**Deprecated** since {self.since.date().isoformat()}"]
        if self.sunset is not None:
            parts.append(f"; it may stop answering after {self.sunset.date().isoformat()}")
        if self.successor is not None:
            parts.append(f". Use `{self.successor}` instead")
        return "".join(parts) + "."

    def extension(self) -> dict[str, str | None]:
        """The ``x-deprecation`` OpenAPI extension (ISO 8601 dates)."""
        return {
            "since": self.since.isoformat(),
            "sunset": self.sunset.isoformat() if self.sunset else None,
            "successor": self.successor,
            "documentation": self.documentation,
        }

    @classmethod
    def from_extension(cls, value: dict[str, Any]) -> Deprecation:
        sunset = value.get("sunset")
        return cls(
            since=datetime.fromisoformat(value["since"]),
            sunset=datetime.fromisoformat(sunset) if sunset else None,
            successor=value.get("successor"),
            documentation=value.get("documentation"),
        )


def deprecated_route(info: Deprecation, description: str | None = None) -> dict[str, Any]:
    """Keyword arguments for a route decorator (or ``add_api_route``) marking it deprecated."""
    note = info.note()
    return {
        "deprecated": True,
        "description": f"{note}\n\n{description}" if description else note,
        "openapi_extra": {X_DEPRECATION: info.extension()},
    }


def deprecate_prefix(app: FastAPI, prefix: str, info: Deprecation) -> None:
    """Mark every route whose path starts with ``prefix`` (e.g. ``/v0/``) deprecated:
    headers on its answers, and the OpenAPI document. Call before the app serves."""
    _rules(app).append((prefix, info))


def _rules(app: FastAPI) -> list[tuple[str, Deprecation]]:
    rules: list[tuple[str, Deprecation]] | None = getattr(app.state, "deprecated_prefixes", None)
    if rules is None:
        rules = []
        app.state.deprecated_prefixes = rules
    return rules


def _mark(operation: dict[str, Any], info: Deprecation) -> None:
    operation["deprecated"] = True
    if X_DEPRECATION not in operation:
        operation[X_DEPRECATION] = info.extension()
        description = operation.get("description")
        operation["description"] = f"{info.note()}\n\n{description}" if description else info.note()


def install_versioning(app: FastAPI) -> None:
    """Add the deprecation headers to answers, and the prefix rules to the OpenAPI
    document (route-level marks are already there through ``deprecated_route``)."""
    rules = _rules(app)
    build_openapi = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = build_openapi()
            for path, operations in schema.get("paths", {}).items():
                for prefix, info in rules:
                    if path.startswith(prefix):
                        for operation in operations.values():
                            if isinstance(operation, dict):
                                _mark(operation, info)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    app.add_middleware(DeprecationMiddleware, rules=rules)


class DeprecationMiddleware:
    """Pure ASGI: add the headers to every answer of a deprecated route."""

    def __init__(self, app: ASGIApp, rules: list[tuple[str, Deprecation]]) -> None:
        self.app = app
        self.rules = rules
        # by (path template, methods): route objects may be rebuilt, their ids reused
        self._cache: dict[tuple[str, tuple[str, ...]], list[tuple[bytes, bytes]]] = {}

    def _headers(self, scope: Scope) -> list[tuple[bytes, bytes]]:
        route = scope.get("route")
        path = getattr(route, "path", None)
        if route is None or not isinstance(path, str):
            return []
        key = (path, tuple(sorted(getattr(route, "methods", None) or ())))
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        headers: list[tuple[bytes, bytes]] = []
        extra = getattr(route, "openapi_extra", None) or {}
        if X_DEPRECATION in extra:
            headers = Deprecation.from_extension(extra[X_DEPRECATION]).headers()
        else:
            for prefix, info in self.rules:
                if path.startswith(prefix):
                    headers = info.headers()
                    break
        self._cache[key] = headers
        return headers

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                extra = self._headers(scope)
                if extra:
                    message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        await self.app(scope, receive, send_with_headers)
