"""One access-log line and the HTTP metrics for every request (pure ASGI middleware).

The line (logger ``memory_mesh.access``) carries method, route template, path (never
the query string, which may hold a token), status, latency_ms, request_id, tenant_id and
the caller's kind and id when known — never a credential. Scrapes and probes
(:data:`QUIET_ROUTES`) that succeed are logged at DEBUG only.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from memory_mesh.observability.context import RequestFacts, request_facts_var

log = logging.getLogger("memory_mesh.access")

UNMATCHED = "unmatched"
QUIET_ROUTES = frozenset({"/metrics", "/v1/admin/health", "/v1/admin/readiness"})

TraceIds = Callable[[], dict[str, str]]


def route_template(scope: Scope) -> str:
    """The matched route's path template (``/v1/messages/{message_id}``), else
    ``unmatched`` — never the raw path, whose ids would explode metric cardinality."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) and path else UNMATCHED


class AccessLogMiddleware:
    """Measure each HTTP request; log it and record it in the runtime's metrics.

    ``trace_ids`` (set when tracing is on) returns the current trace and span ids, which
    then join the line so a log line leads to its trace.
    """

    def __init__(self, app: ASGIApp, trace_ids: TraceIds | None = None) -> None:
        self.app = app
        self.trace_ids = trace_ids

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500  # if the app dies before answering
        facts = RequestFacts()
        token = request_facts_var.set(facts)

        async def send_with_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_with_status)
        finally:
            try:
                self._record(scope, status, time.perf_counter() - start, facts)
            except Exception:  # telemetry must never break a request
                log.debug("could not record the request", exc_info=True)
            request_facts_var.reset(token)

    def _record(self, scope: Scope, status: int, seconds: float, facts: RequestFacts) -> None:
        method = str(scope.get("method", ""))
        route = route_template(scope)
        runtime = getattr(getattr(scope.get("app"), "state", None), "runtime", None)
        if runtime is not None:
            runtime.metrics.http_request(method=method, route=route, status=status, seconds=seconds)
        level = logging.INFO
        if status >= 500:
            level = logging.WARNING
        elif route in QUIET_ROUTES and status < 400:
            level = logging.DEBUG
        if not log.isEnabledFor(level):
            return
        latency_ms = round(seconds * 1000, 2)
        client = scope.get("client")
        fields: dict[str, Any] = {
            "method": method,
            "route": route,
            "path": scope.get("path", ""),
            "status": status,
            "latency_ms": latency_ms,
            "tenant_id": facts.tenant_id,
            "principal_kind": facts.principal_kind,
            "principal_id": facts.principal_id,
            "client": client[0] if client else None,
        }
        if self.trace_ids is not None:
            fields.update(self.trace_ids())
        log.log(level, "%s %s %d %.1fms", method, route, status, latency_ms, extra=fields)
