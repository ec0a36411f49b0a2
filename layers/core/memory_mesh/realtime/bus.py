"""Event buses: how an event published in one process reaches subscribers everywhere.

- ``LocalBus``: this process only (no Redis configured).
- ``RedisBus``: Redis pub/sub; every server process listens and hands events to its hub.
  Publishing goes through a bounded outbox drained by a background task, so a slow or
  absent Redis never slows a write. If Redis goes away, events still reach this
  process's own subscribers (logged once), and the listener reconnects with backoff.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from typing import Any, Protocol

from memory_mesh.realtime.hub import Hub

log = logging.getLogger(__name__)

CHANNEL_PREFIX = "memory_mesh:events:"


class EventBus(Protocol):
    hub: Hub

    def publish(self, event: dict[str, Any]) -> None:
        """Send ``event`` to its tenant's subscribers; never blocks, never raises."""
        ...

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


class LocalBus:
    def __init__(self, hub: Hub) -> None:
        self.hub = hub

    def publish(self, event: dict[str, Any]) -> None:
        self.hub.deliver(event)

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None


class RedisBus:
    def __init__(self, hub: Hub, redis_url: str, *, outbox_size: int = 10_000) -> None:
        import redis.asyncio as aioredis

        self.hub = hub
        self._redis = aioredis.Redis.from_url(redis_url, socket_timeout=2, socket_connect_timeout=2)
        self._outbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue(maxsize=outbox_size)
        self._tasks: list[asyncio.Task[None]] = []
        self._listening = asyncio.Event()
        self.dropped = 0

    def publish(self, event: dict[str, Any]) -> None:
        try:
            self._outbox.put_nowait(event)
        except asyncio.QueueFull:
            self.dropped += 1
            self.hub.deliver(event)  # Redis is far behind: at least this process hears it

    async def start(self) -> None:
        self._tasks = [
            asyncio.create_task(self._listen(), name="realtime-listen"),
            asyncio.create_task(self._drain(), name="realtime-publish"),
        ]
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._listening.wait(), timeout=5)

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self._redis.aclose()

    async def _drain(self) -> None:
        warned = False
        while True:
            event = await self._outbox.get()
            channel = CHANNEL_PREFIX + str(event.get("tenant_id"))
            try:
                await self._redis.publish(channel, json.dumps(event))
                warned = False
            except Exception as exc:  # Redis down: deliver locally rather than lose it
                if not warned:
                    log.warning("Redis unavailable for real-time events (local only): %s", exc)
                    warned = True
                self.hub.deliver(event)

    async def _listen(self) -> None:
        delay = 0.5
        while True:
            try:
                pubsub = self._redis.pubsub()
                await pubsub.psubscribe(CHANNEL_PREFIX + "*")
                self._listening.set()
                delay = 0.5
                async for item in pubsub.listen():
                    if item.get("type") != "pmessage":
                        continue
                    try:
                        self.hub.deliver(json.loads(item["data"]))
                    except (ValueError, TypeError):
                        log.warning("ignored a malformed real-time event")
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("real-time listener lost Redis, retrying in %.1f s: %s", delay, exc)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 10.0)
