"""AWS live events, publisher side: each event goes to the live-events SQS queue with
the WebSocket connection ids it is for; the pusher function (``cloud/pusher.py``,
outside the VPC) posts it to those connections through the ``@connections`` API.

Why the ids travel with the event: the connection registry is in ElastiCache, inside
the VPC, and the ``@connections`` API is on the internet, outside it. The writer (in
the VPC) reads the registry; the pusher (outside) needs neither Redis nor a NAT gateway.

``publish`` never blocks the write: the registry read and the SQS send run in a small
thread pool; :meth:`QueueEventBus.flush` waits for them (bounded) at the end of the
invocation, before Lambda freezes the container. A failed send is logged and dropped:
live events are best effort (the message itself is committed; clients re-read it).
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from typing import Any

from memory_mesh.config import Settings
from memory_mesh.realtime.hub import Hub

log = logging.getLogger(__name__)

SQS_BATCH_LIMIT = 10  # entries per send_message_batch call
CONNECTIONS_PER_MESSAGE = 100  # ids in one queue message: far below SQS's 256 KB


def event_messages(event: dict[str, Any], connection_ids: list[str]) -> list[str]:
    """Queue message bodies ``{"connections": [...], "event": {...}}`` for ``event``,
    at most :data:`CONNECTIONS_PER_MESSAGE` connection ids each (read by the pusher)."""
    ids = sorted(connection_ids)
    return [
        json.dumps({"connections": ids[i : i + CONNECTIONS_PER_MESSAGE], "event": event})
        for i in range(0, len(ids), CONNECTIONS_PER_MESSAGE)
    ]


class QueueEventBus:
    """:class:`~memory_mesh.realtime.bus.EventBus` that hands events to the pusher."""

    def __init__(
        self, hub: Hub, *, sqs: Any, queue_url: str, registry: Any | Callable[[], Any]
    ) -> None:
        """``registry``: the connection registry, or a function making it on first use
        (a cluster client connects as it is made: Redis down must not stop a start)."""
        self.hub = hub  # no local subscribers in Lambda; kept for the protocol
        self._sqs = sqs
        self._queue_url = queue_url
        self._registry: Any = registry
        self._registry_made = not callable(registry)
        self._pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="events-out")
        self._pending: set[Future[int]] = set()

    @classmethod
    def create(cls, hub: Hub, settings: Settings) -> QueueEventBus:
        import boto3
        from botocore.config import Config

        from memory_mesh.cloud.connections import ConnectionRegistry

        assert settings.events_queue_url and settings.redis_url
        sqs = boto3.client(
            "sqs",
            region_name=settings.aws_region,
            endpoint_url=settings.sqs_endpoint_url,
            # a live event is worth little after a few seconds: fail fast, never retry long
            config=Config(connect_timeout=2, read_timeout=2, retries={"max_attempts": 2}),
        )
        url = settings.redis_url

        def registry() -> ConnectionRegistry:
            return ConnectionRegistry.from_url(
                url,
                ttl_seconds=settings.websocket_connection_ttl_seconds,
                cluster=settings.redis_cluster,
                timeout=settings.redis_timeout_seconds,
            )

        return cls(hub, sqs=sqs, queue_url=settings.events_queue_url, registry=registry)

    def publish(self, event: dict[str, Any]) -> None:
        future = self._pool.submit(self._send, event)
        self._pending.add(future)
        future.add_done_callback(self._pending.discard)

    def _targets(self, event: dict[str, Any]) -> set[str]:
        if not self._registry_made:  # in the sender thread; a failure is tried again later
            self._registry = self._registry()
            self._registry_made = True
        tenant = str(event.get("tenant_id"))
        targets: set[str] = self._registry.subscribers(tenant)
        # subscribers of the conversation by UUID and by the client's own id alike
        for conversation in (event.get("conversation_id"), event.get("conversation_external_id")):
            if conversation:
                targets |= self._registry.subscribers(tenant, str(conversation))
        return targets

    def _send(self, event: dict[str, Any]) -> int:
        """Queue ``event`` for its subscribers; the number of queue messages sent."""
        try:
            targets = self._targets(event)
        except Exception as exc:  # no registry: nobody to tell, the write stands
            log.warning("live event dropped: WebSocket registry unavailable: %s", exc)
            return 0
        bodies = event_messages(event, list(targets))
        sent = 0
        for start in range(0, len(bodies), SQS_BATCH_LIMIT):
            entries = [
                {"Id": uuid.uuid4().hex, "MessageBody": body}
                for body in bodies[start : start + SQS_BATCH_LIMIT]
            ]
            try:
                result = self._sqs.send_message_batch(QueueUrl=self._queue_url, Entries=entries)
            except Exception as exc:
                log.warning("live event dropped: cannot send to the events queue: %s", exc)
                continue
            failed = result.get("Failed") or []
            if failed:
                log.warning("live event partly dropped: %d queue entries refused", len(failed))
            sent += len(entries) - len(failed)
        return sent

    def flush(self, timeout_seconds: float = 5.0) -> None:
        """Wait (at most ``timeout_seconds``) for the events published so far to be queued."""
        if self._pending:
            _, late = wait(list(self._pending), timeout=timeout_seconds)
            if late:
                log.warning(
                    "%d live events still being queued after %.1f s", len(late), timeout_seconds
                )

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        self.flush()
        self._pool.shutdown(wait=False)
