"""Event buses: how an event published in one process reaches subscribers everywhere.

- ``LocalBus``: this process only (no Redis configured).
- ``RedisBus``: Redis pub/sub; every server process listens and hands events to its hub.
  Publishing goes through a bounded outbox drained by a background task, so a slow or
  absent Redis never slows a write.

When Redis goes away (documented in docs/RELIABILITY.md, "Redis stops"):

- this process's own subscribers still get every event: while the listener is not
  subscribed, an event is handed to the local hub at once (and still offered to Redis
  for the other processes, whose listeners may be up); the copy that Redis then echoes
  back, if the listener resubscribed meanwhile, is recognised and skipped;
- other processes' subscribers miss what is published while Redis is down (pub/sub is
  at most once: nothing is replayed);
- the listener reconnects by itself, retrying every 0.1 s doubling to at most 2 s, so
  cross-process delivery resumes within about 2 s of Redis answering again.

A Redis that accepts connections but never answers counts as gone: every call is bounded
by ``timeout`` (``MEMORY_REDIS_TIMEOUT_SECONDS``), a subscription must be confirmed within
it, and a listener that has heard nothing for ``heartbeat_seconds`` sends a PING that must
be answered within it too.

Events go on ONE channel (``SUBSCRIBE``, not a pattern): on a cluster-mode Redis
(``MEMORY_REDIS_CLUSTER``) a PUBLISH reaches the subscribers of every node, so a plain
connection to the endpoint serves both modes.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import time
from collections import deque
from collections.abc import AsyncIterator
from typing import Any, Protocol

from memory_mesh.realtime.hub import Hub
from memory_mesh.redis_clients import pubsub_client
from memory_mesh.tasks import cancel_and_wait

log = logging.getLogger(__name__)

CHANNEL = "memory_mesh:events"


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


class Backoff:
    """Delays between reconnection attempts: ``first``, doubling, at most ``cap``;
    :meth:`reset` once connected again."""

    def __init__(self, first: float = 0.1, cap: float = 2.0) -> None:
        self.first = first
        self.cap = cap
        self._next = first
        self.attempts = 0  # delays handed out since the last reset

    def next(self) -> float:
        self.attempts += 1
        delay = self._next
        self._next = min(self._next * 2, self.cap)
        return delay

    def reset(self) -> None:
        self._next = self.first
        self.attempts = 0


class Echoes:
    """Payloads this process already delivered to its own subscribers and also published
    to Redis: if Redis sends one back (the listener resubscribed in between), it is
    skipped once. Bounded, and only a 16-byte digest of each is kept: the oldest are
    forgotten first (an echo that never comes costs one entry until evicted)."""

    def __init__(self, size: int = 10_000) -> None:
        self._order: deque[bytes] = deque()
        self._counts: dict[bytes, int] = {}
        self.size = size

    def remember(self, payload: str) -> None:
        digest = _digest(payload)
        if len(self._order) >= self.size:
            self._drop(self._order.popleft())
        self._order.append(digest)
        self._counts[digest] = self._counts.get(digest, 0) + 1

    def claim(self, payload: str) -> bool:
        """True, and forget it, if ``payload`` was remembered (an echo to skip)."""
        digest = _digest(payload)
        if digest not in self._counts:
            return False
        self._drop(digest)
        self._order.remove(digest)
        return True

    def forget(self, payload: str) -> None:
        """Never published after all (Redis refused it): no echo will come."""
        self.claim(payload)

    def __len__(self) -> int:
        return len(self._order)

    def _drop(self, digest: bytes) -> None:
        left = self._counts[digest] - 1
        if left:
            self._counts[digest] = left
        else:
            del self._counts[digest]


def _digest(payload: str) -> bytes:
    return hashlib.blake2b(payload.encode(), digest_size=16).digest()


class RedisBus:
    def __init__(
        self,
        hub: Hub,
        redis_url: str,
        *,
        outbox_size: int = 10_000,
        backoff: Backoff | None = None,
        timeout: float = 2.0,
        heartbeat_seconds: float = 5.0,
    ) -> None:
        self.hub = hub
        self._timeout = timeout
        self._heartbeat = heartbeat_seconds
        # the listener's client: a lost connection must surface (not be retried inside
        # redis-py), so that this process knows it is not subscribed
        self._redis = pubsub_client(redis_url, timeout=timeout)
        # the publisher's: a pooled connection left from before a Redis restart fails once
        # on use; reconnect and send again rather than lose that event for other processes
        self._publisher = pubsub_client(redis_url, timeout=timeout, retry_once=True)
        # (event, already delivered to this process's hub)
        self._outbox: asyncio.Queue[tuple[dict[str, Any], bool]] = asyncio.Queue(
            maxsize=outbox_size
        )
        self._tasks: list[asyncio.Task[None]] = []
        self._listening = asyncio.Event()  # set while subscribed (confirmed by Redis)
        self._echoes = Echoes()
        self._backoff = backoff or Backoff()
        self.dropped = 0  # events the outbox had no room for (this process still heard them)
        self.reconnects = 0  # times the listener subscribed again after losing Redis

    @property
    def subscribed(self) -> bool:
        """Whether this process currently hears events from Redis."""
        return self._listening.is_set()

    def publish(self, event: dict[str, Any]) -> None:
        delivered = False
        if not self._listening.is_set():
            # not subscribed: Redis would not bring it back to us, so hear it here now
            self.hub.deliver(event)
            delivered = True
        try:
            self._outbox.put_nowait((event, delivered))
        except asyncio.QueueFull:
            self.dropped += 1
            if not delivered:
                self.hub.deliver(event)  # Redis is far behind: at least this process hears it

    async def start(self) -> None:
        self._tasks = [
            asyncio.create_task(self._listen(), name="realtime-listen"),
            asyncio.create_task(self._drain(), name="realtime-publish"),
        ]
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._listening.wait(), timeout=5)

    async def stop(self) -> None:
        try:
            await cancel_and_wait(self._tasks)
        finally:  # the clients' connections are closed even if the wait is cut short
            await self._redis.aclose()
            await self._publisher.aclose()

    async def _drain(self) -> None:
        warned = False
        while True:
            event, delivered = await self._outbox.get()
            if not delivered and not self._listening.is_set():
                self.hub.deliver(event)  # the listener went away since publish()
                delivered = True
            payload = json.dumps(event)
            if delivered:
                self._echoes.remember(payload)
            try:
                await self._publisher.publish(CHANNEL, payload)
            except Exception as exc:  # Redis down: deliver locally rather than lose it
                if delivered:
                    self._echoes.forget(payload)
                else:
                    self.hub.deliver(event)
                if not warned:
                    log.warning("Redis unavailable for real-time events (local only): %s", exc)
                    warned = True
                continue
            if warned:
                log.warning("Redis is back: real-time events are published again")
                warned = False

    async def _listen(self) -> None:
        lost = False
        while True:
            pubsub = self._redis.pubsub()
            try:
                await pubsub.subscribe(CHANNEL)
                async for kind, data in self._heard(pubsub):
                    if kind == "subscribe":
                        # confirmed: from here on Redis sends us everything published
                        self._listening.set()
                        self._backoff.reset()
                        if lost:
                            self.reconnects += 1
                            log.warning("real-time listener subscribed to Redis again")
                            lost = False
                    elif kind == "message":
                        self._receive(data)
                failure: Exception = ConnectionError("the subscription ended")
            except Exception as exc:
                failure = exc
            finally:  # also on cancellation
                self._listening.clear()
                with contextlib.suppress(Exception):
                    await pubsub.aclose()
            if not lost:
                log.warning(
                    "real-time listener lost Redis (events reach this process only), "
                    "retrying every %.1f s at most: %s",
                    self._backoff.cap,
                    failure,
                )
                lost = True
            await asyncio.sleep(self._backoff.next())

    async def _heard(self, pubsub: Any) -> AsyncIterator[tuple[str, Any]]:
        """What Redis sends on ``pubsub`` (kind, data); raises TimeoutError when an
        answer it owes (the subscription's confirmation, a PING's reply) is ``timeout``
        late, which is how a Redis that hangs without closing the connection shows."""
        owed_since: float | None = time.monotonic()  # the subscription's confirmation
        heard = time.monotonic()
        while True:
            item = await pubsub.get_message(timeout=min(0.5, self._timeout))
            now = time.monotonic()
            if item is not None:
                heard, owed_since = now, None
                yield str(item.get("type")), item.get("data")
                continue
            if owed_since is not None and now - owed_since > self._timeout:
                raise TimeoutError(f"Redis did not answer within {self._timeout:.1f} s")
            if owed_since is None and now - heard >= self._heartbeat:
                await pubsub.ping()
                owed_since = now

    def _receive(self, data: bytes | str) -> None:
        payload = data.decode() if isinstance(data, bytes) else data
        if self._echoes.claim(payload):
            return  # delivered here already while the listener was away
        try:
            self.hub.deliver(json.loads(payload))
        except (ValueError, TypeError):
            log.warning("ignored a malformed real-time event")
