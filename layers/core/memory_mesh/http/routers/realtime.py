"""WebSocket endpoints of the local server.

``/ws/messages/{tenant_id}``: live ``message.created|updated|deleted|embedded`` events of
the tenant (``?conversation_id=`` for one conversation: its UUID or its external id,
which may be subscribed to before its first message). ``/ws/stream/{tenant_id}``: send
``{"type": "search", "query": ..., ...}`` frames, receive one ``result`` frame per hit in
rank order, then ``done``. Errors are ``{"type": "error", code, message}`` frames.

Authentication at connect, in this order: the subprotocol ``auth.<token or API key>``
(browsers: ``new WebSocket(url, ["memory-mesh.v1", "auth." + credential])``), the
``Authorization`` / ``x-api-key`` headers (other clients), or ``?access_token=`` /
``?api_key=`` (last resort; redacted from logs). Failures: an error frame, then close
4401 (not authenticated) or 4403 (tenant not held); a malformed ``conversation_id``
closes with 4422.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from datetime import UTC, datetime
from typing import Any

import anyio
from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from pydantic import ValidationError

from memory_mesh.domain.conversation_ref import parse_conversation_ref
from memory_mesh.domain.identity import Forbidden, Principal, Scope, Unauthorized
from memory_mesh.domain.models import SearchQuery
from memory_mesh.errors import AppError
from memory_mesh.http.bodies.search import SearchHitOut, SearchRequest
from memory_mesh.realtime.credentials import SUBPROTOCOL, websocket_credential
from memory_mesh.realtime.hub import Subscriber
from memory_mesh.runtime import Runtime

log = logging.getLogger(__name__)
router = APIRouter(tags=["realtime"])

CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_INVALID_INPUT = 4422
CLOSE_TOO_SLOW = 1013  # "try again later": the subscriber stopped reading


def _credential(websocket: WebSocket) -> str | None:
    return websocket_credential(
        websocket.scope.get("subprotocols", []), websocket.headers, websocket.query_params
    )


async def _open(websocket: WebSocket, tenant_id: str) -> tuple[Runtime, Principal] | None:
    """Accept, authenticate and authorise; on failure send an error frame and close."""
    runtime: Runtime = websocket.app.state.runtime
    offered = websocket.scope.get("subprotocols", [])
    await websocket.accept(subprotocol=SUBPROTOCOL if SUBPROTOCOL in offered else None)
    credential = _credential(websocket)
    try:
        if not credential:
            raise Unauthorized(
                "send a credential: subprotocol auth.<token>, a header, or ?access_token=",
                code="not_authenticated",
            )
        principal = await runtime.auth.principal_from_credential(credential)
        principal.authorize(tenant_id, Scope.read)
    except (Unauthorized, Forbidden) as exc:
        await _send(websocket, {"type": "error", "code": exc.code, "message": exc.message})
        code = CLOSE_FORBIDDEN if isinstance(exc, Forbidden) else CLOSE_UNAUTHENTICATED
        await websocket.close(code=code, reason=exc.code)
        return None
    return runtime, principal


async def _send(websocket: WebSocket, frame: dict[str, Any]) -> None:
    await websocket.send_text(json.dumps(frame, default=str))


@router.websocket("/ws/messages/{tenant_id}")
async def message_events(websocket: WebSocket, tenant_id: str) -> None:
    opened = await _open(websocket, tenant_id)
    if opened is None:
        return
    runtime, _ = opened
    conversation_id = websocket.query_params.get("conversation_id")
    if conversation_id is not None:
        try:
            conversation_id = str(parse_conversation_ref(conversation_id))
        except AppError as exc:
            await _send(websocket, {"type": "error", "code": exc.code, "message": exc.message})
            await websocket.close(code=CLOSE_INVALID_INPUT, reason=exc.code)
            return
    settings = runtime.settings
    subscriber = Subscriber(tenant_id, conversation_id, settings.realtime_buffer_size)
    runtime.hub.add(subscriber)
    try:
        await _send(
            websocket,
            {"type": "ready", "tenant_id": tenant_id, "conversation_id": conversation_id},
        )
        await _pump(websocket, subscriber, settings.realtime_heartbeat_seconds)
    except WebSocketDisconnect:
        pass
    finally:
        runtime.hub.remove(subscriber)


async def _pump(websocket: WebSocket, subscriber: Subscriber, heartbeat: float) -> None:
    """Forward events, send heartbeats, notice the client leaving or falling behind."""

    async def forward() -> None:
        while True:
            try:
                event = await asyncio.wait_for(subscriber.queue.get(), timeout=heartbeat)
            except TimeoutError:
                event = {"type": "ping", "time": datetime.now(UTC).isoformat()}
            await _send(websocket, event)

    async def read() -> None:
        while True:  # clients may send pongs; a disconnect ends the loop
            await websocket.receive_text()

    tasks = [
        asyncio.create_task(forward()),
        asyncio.create_task(read()),
        asyncio.create_task(subscriber.overflowed.wait()),
    ]
    try:
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
    if subscriber.overflowed.is_set():
        log.warning("WebSocket subscriber of tenant %s too slow: dropped", subscriber.tenant_id)
        # the close frame queues behind unread data: give it a moment, then let it go
        with contextlib.suppress(Exception), anyio.move_on_after(5):
            await websocket.close(code=CLOSE_TOO_SLOW, reason="subscriber too slow")
        return
    for task in done:
        exc = task.exception()
        if exc is not None and not isinstance(exc, WebSocketDisconnect):
            raise exc


@router.websocket("/ws/stream/{tenant_id}")
async def stream_search(websocket: WebSocket, tenant_id: str) -> None:
    opened = await _open(websocket, tenant_id)
    if opened is None:
        return
    runtime, _ = opened
    try:
        await _send(websocket, {"type": "ready", "tenant_id": tenant_id})
        while True:
            raw = await websocket.receive_text()
            await _answer(websocket, runtime, tenant_id, raw)
    except WebSocketDisconnect:
        return


async def _answer(websocket: WebSocket, runtime: Runtime, tenant_id: str, raw: str) -> None:
    request_id = None
    try:
        frame = json.loads(raw)
        if not isinstance(frame, dict) or frame.get("type") != "search":
            raise AppError('send {"type": "search", "query": ...}', code="invalid_frame")
        request_id = frame.get("request_id")
        fields = {k: v for k, v in frame.items() if k not in ("type", "request_id")}
        request = SearchRequest.model_validate({**fields, "tenant_id": tenant_id})
        decision = await runtime.limiter.hit(
            runtime.settings.tenant_rate_limit, f"tenant:{tenant_id}"
        )
        if not decision.allowed:
            raise AppError(
                f"tenant rate limit exceeded; retry after {decision.retry_after} s",
                code="rate_limited",
            )
        outcome = await runtime.search.search(SearchQuery(**request.model_dump()))
    except json.JSONDecodeError:
        await _send(
            websocket, {"type": "error", "code": "invalid_json", "message": "the frame is not JSON"}
        )
        return
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
        )
        await _send(
            websocket,
            {
                "type": "error",
                "code": "validation_error",
                "message": problems,
                "request_id": request_id,
            },
        )
        return
    except AppError as exc:
        await _send(
            websocket,
            {"type": "error", "code": exc.code, "message": exc.message, "request_id": request_id},
        )
        return
    for rank, hit in enumerate(outcome.hits, start=1):
        await _send(
            websocket,
            {
                "type": "result",
                "request_id": request_id,
                "rank": rank,
                "hit": SearchHitOut.of(hit).model_dump(mode="json"),
            },
        )
    await _send(
        websocket,
        {
            "type": "done",
            "request_id": request_id,
            "count": len(outcome.hits),
            "plan": outcome.plan,
            "mode": outcome.mode.value,
            "degraded": outcome.degraded,
        },
    )
