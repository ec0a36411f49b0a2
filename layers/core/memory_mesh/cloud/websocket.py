"""The WebSocket API's routes, dispatched on ``requestContext.routeKey``.

``$connect`` registers the connection (``?tenant_id=``) in Redis with a TTL and
``$disconnect`` removes it. ``search`` and ``subscribe`` answer with one frame in the
Lambda response body, which API Gateway sends back to the client (the routes have a
``$default`` route response), so no call to the management API is needed. A connection
only ever searches the tenant it connected as. Frames are JSON with a ``type``;
failures are ``{"type": "error", "code", "message", "request_id"}``.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from memory_mesh.cloud.connections import ConnectionRegistry
from memory_mesh.cloud.lambda_runtime import LambdaContainer
from memory_mesh.config import ConfigError
from memory_mesh.domain.conversation_ref import ConversationRef, parse_conversation_ref
from memory_mesh.domain.identity import Forbidden, Scope, Unauthorized
from memory_mesh.domain.models import SearchMode, SearchQuery
from memory_mesh.errors import AppError, ServiceUnavailable
from memory_mesh.realtime.credentials import SUBPROTOCOL, websocket_credential

log = logging.getLogger(__name__)

Response = dict[str, Any]


class SearchFrame(BaseModel):
    model_config = ConfigDict(extra="forbid")

    action: str = "search"
    request_id: str | None = Field(None, max_length=128)
    query: str
    top_k: int = 10
    mode: SearchMode = SearchMode.hybrid
    conversation_id: str | None = None


class SubscribeFrame(BaseModel):
    model_config = ConfigDict(extra="forbid")

    action: str = "subscribe"
    request_id: str | None = Field(None, max_length=128)
    conversation_id: str | None = None


def _frame(payload: dict[str, Any], status: int = 200) -> Response:
    return {"statusCode": status, "body": json.dumps(payload, default=str)}


def _error(code: str, message: str, request_id: str | None = None) -> Response:
    return _frame({"type": "error", "code": code, "message": message, "request_id": request_id})


class WebSocketRoutes:
    """Handles one WebSocket event; ``registry`` is built on first use (Redis URL)."""

    def __init__(
        self,
        container: LambdaContainer,
        registry: ConnectionRegistry | Callable[[], ConnectionRegistry] | None = None,
    ) -> None:
        self.container = container
        self._registry = registry

    @property
    def registry(self) -> ConnectionRegistry:
        if isinstance(self._registry, ConnectionRegistry):
            return self._registry
        if callable(self._registry):
            self._registry = self._registry()
            return self._registry
        settings = self.container.settings
        if not settings.redis_url:
            raise ConfigError("MEMORY_REDIS_URL is required by the WebSocket function")
        self._registry = ConnectionRegistry.from_url(
            settings.redis_url,
            ttl_seconds=settings.websocket_connection_ttl_seconds,
            cluster=settings.redis_cluster,
            timeout=settings.redis_timeout_seconds,
        )
        return self._registry

    def handle(self, event: dict[str, Any]) -> Response:
        context = event["requestContext"]
        route = context["routeKey"]
        connection_id = context["connectionId"]
        try:
            return self._route(route, connection_id, event)
        except ServiceUnavailable as exc:
            # the connection store (Redis) is down or hung: refuse the handshake with
            # 503, let a disconnect go (the record's TTL forgets it), tell a frame why
            log.warning("WebSocket %s: %s", route, exc.message)
            if route == "$connect":
                return {"statusCode": 503, "body": exc.message}
            if route == "$disconnect":
                return {"statusCode": 200}
            return _error(exc.code, exc.message, None)

    def _route(self, route: str, connection_id: str, event: dict[str, Any]) -> Response:
        if route == "$connect":
            return self._connect(connection_id, event)
        if route == "$disconnect":
            self.registry.remove(connection_id)
            return {"statusCode": 200}
        try:
            body = json.loads(event.get("body") or "{}")
        except json.JSONDecodeError:
            return _error("invalid_json", "the frame is not JSON")
        if not isinstance(body, dict):
            return _error("invalid_frame", "the frame must be a JSON object")
        request_id = body.get("request_id") if isinstance(body.get("request_id"), str) else None
        handlers = {"search": self._search, "subscribe": self._subscribe}
        handler = handlers.get(route)
        if handler is None:
            return _error(
                "unknown_action",
                f"unknown action {body.get('action')!r}; use one of: {', '.join(handlers)}",
                request_id,
            )
        record = self.registry.get(connection_id)
        if record is None:
            return _error("connection_unknown", "connection expired; reconnect", request_id)
        try:
            return handler(connection_id, str(record["tenant_id"]), body)
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
            )
            return _error("invalid_input", problems, request_id)
        except AppError as exc:
            return _error(exc.code, exc.message, request_id)

    def _connect(self, connection_id: str, event: dict[str, Any]) -> Response:
        """Authenticate and authorise at the handshake (refusing it answers the client
        with that HTTP status and no connection is made), then keep the connection and
        subscribe it to its tenant (``?conversation_id=`` narrows it), so a browser
        receives events exactly as from the local server, without a subscribe frame."""
        query: dict[str, str] = event.get("queryStringParameters") or {}
        headers = {k.lower(): v for k, v in (event.get("headers") or {}).items()}
        tenant_id = (query.get("tenant_id") or "").strip()
        if not tenant_id or len(tenant_id) > 128:
            return {"statusCode": 400, "body": "tenant_id query parameter required"}
        offered = [p.strip() for p in headers.get("sec-websocket-protocol", "").split(",")]
        credential = websocket_credential(offered, headers, query)
        if not credential:
            return {"statusCode": 401, "body": "credential required"}
        runtime = self.container.runtime()
        try:
            principal = self.container.run(runtime.auth.principal_from_credential(credential))
            principal.authorize(tenant_id, Scope.read)
        except Unauthorized:
            return {"statusCode": 401, "body": "credential refused"}
        except Forbidden:
            return {"statusCode": 403, "body": "tenant not held"}
        conversation = _conversation(query.get("conversation_id"))
        self.registry.add(connection_id, tenant_id=tenant_id)
        self.registry.subscribe(connection_id, _key(conversation))
        response: Response = {"statusCode": 200}
        if SUBPROTOCOL in offered:  # browsers drop a connection whose protocol is not echoed
            response["headers"] = {"Sec-WebSocket-Protocol": SUBPROTOCOL}
        return response

    def _search(self, connection_id: str, tenant_id: str, body: dict[str, Any]) -> Response:
        from memory_mesh.http.bodies.search import SearchHitOut

        frame = SearchFrame.model_validate(body)
        runtime = self.container.runtime()
        query = SearchQuery(
            tenant_id=tenant_id,
            query=frame.query,
            top_k=frame.top_k,
            mode=frame.mode,
            conversation_id=_conversation(frame.conversation_id),
        )
        outcome = self.container.run(runtime.search.search(query))
        return _frame(
            {
                "type": "search.results",
                "request_id": frame.request_id,
                "query": frame.query,
                "mode": outcome.mode.value,
                "degraded": outcome.degraded,
                "plan": outcome.plan,
                "results": [SearchHitOut.of(h).model_dump(mode="json") for h in outcome.hits],
            }
        )

    def _subscribe(self, connection_id: str, tenant_id: str, body: dict[str, Any]) -> Response:
        frame = SubscribeFrame.model_validate(body)
        conversation = _conversation(frame.conversation_id)
        self.registry.subscribe(connection_id, _key(conversation))
        return _frame(
            {
                "type": "subscribed",
                "request_id": frame.request_id,
                "tenant_id": tenant_id,
                "conversation_id": frame.conversation_id,
            }
        )


def _conversation(value: str | None) -> ConversationRef | None:
    """The conversation a frame names: its UUID or its external id (422 otherwise)."""
    return None if value is None else parse_conversation_ref(value)


def _key(conversation: ConversationRef | None) -> str | None:
    """The registry key of a subscription: the UUID in canonical form, or the external
    id; an event is published to both of its conversation's keys (realtime/apigw.py)."""
    return None if conversation is None else str(conversation)
