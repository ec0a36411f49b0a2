"""The Redis event bus across a Redis crash, in-process (two buses standing for two
server processes): the publishing process's own subscribers hear every event, before,
during and right after the outage, exactly once; the other process hears nothing while
Redis is down and hears everything again shortly after it is back, without a restart.

The real-process version (HTTP, WebSockets, rate limits, readiness) is
``test_redis_outage.py``; this one isolates the bus and times its recovery.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

from memory_mesh.realtime.bus import Backoff, RedisBus
from memory_mesh.realtime.hub import Hub, Subscriber
from tests.conftest import RedisServer


def _collect(subscriber: Subscriber, into: list[int]) -> list[int]:
    """Move what ``subscriber`` received so far into ``into``; return ``into``."""
    while not subscriber.queue.empty():
        into.append(int(subscriber.queue.get_nowait()["n"]))
    return into


async def _until(predicate: Callable[[], bool], *, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.02)


def _event(n: int) -> dict[str, Any]:
    return {"type": "message.created", "tenant_id": "acme", "conversation_id": "c", "n": n}


async def test_the_bus_keeps_local_delivery_and_resumes_cross_process_after_redis_returns() -> None:
    redis = RedisServer()
    here, there = Subscriber("acme", None, 100_000), Subscriber("acme", None, 100_000)
    hub_here, hub_there = Hub(), Hub()
    hub_here.add(here)
    hub_there.add(there)
    backoff = Backoff(first=0.1, cap=2.0)
    publisher = RedisBus(hub_here, redis.url, backoff=backoff)
    other = RedisBus(hub_there, redis.url)
    got_here: list[int] = []
    got_there: list[int] = []
    try:
        await publisher.start()
        await other.start()
        assert publisher.subscribed and other.subscribed
        publisher.publish(_event(0))
        await _until(lambda: _collect(there, got_there) == [0], seconds=30, what="delivery before")
        assert _collect(here, got_here) == [0]

        redis.kill()
        await _until(
            lambda: not publisher.subscribed and not other.subscribed,
            seconds=30,
            what="both listeners to notice",
        )
        for n in range(1, 11):
            publisher.publish(_event(n))
        assert _collect(here, got_here) == list(range(11))  # at once, whatever Redis does
        # down long enough for the listener's retries to space out to their 2 s cap: after
        # the restart it is not subscribed for a while, yet Redis takes publications
        await _until(lambda: backoff.attempts >= 5, seconds=60, what="the listener to retry")

        redis.start()
        restarted = time.monotonic()
        sent = 10
        while len(_collect(there, got_there)) == 1:  # until the other process hears again
            assert time.monotonic() - restarted < 60, "cross-process delivery never resumed"
            sent += 1
            publisher.publish(_event(sent))
            await asyncio.sleep(0.05)  # pacing the publisher, not a timing assertion
        resumed_after = time.monotonic() - restarted
        first_there = got_there[1]
        last = sent + 20
        for n in range(sent + 1, last + 1):
            publisher.publish(_event(n))
        await _until(
            lambda: _collect(there, got_there)[-1] == last, seconds=30, what="later events there"
        )
        await _until(
            lambda: _collect(here, got_here)[-1] == last, seconds=30, what="later events here"
        )
    finally:
        await publisher.stop()
        await other.stop()
        redis.stop()

    # the publishing process: every event exactly once, in order (no echo doubled)
    assert got_here == list(range(last + 1))
    # the other process: nothing of the outage, everything from its first event back on
    assert got_there == [0, *range(first_there, last + 1)]
    assert first_there > 10
    assert publisher.reconnects == 1 and other.reconnects == 1
    print(f"\nFAULT redis (bus): cross-process delivery back {resumed_after:.2f} s after restart")


async def test_a_publish_connection_left_from_before_a_restart_does_not_lose_the_next_event() -> (
    None
):
    redis = RedisServer()
    here, there = Subscriber("acme", None, 100), Subscriber("acme", None, 100)
    hub_here, hub_there = Hub(), Hub()
    hub_here.add(here)
    hub_there.add(there)
    publisher, other = RedisBus(hub_here, redis.url), RedisBus(hub_there, redis.url)
    got_here: list[int] = []
    got_there: list[int] = []
    try:
        await publisher.start()
        await other.start()
        publisher.publish(_event(0))  # the publisher's pooled connection is now open
        await _until(lambda: _collect(there, got_there) == [0], seconds=30, what="delivery")
        redis.kill()  # nothing is published while Redis is down
        await _until(lambda: not other.subscribed, seconds=30, what="the listener to notice")
        redis.start()
        await _until(
            lambda: publisher.subscribed and other.subscribed, seconds=60, what="resubscribing"
        )
        publisher.publish(_event(1))  # goes out on the connection from before the restart
        await _until(lambda: _collect(there, got_there)[-1] == 1, seconds=30, what="event 1")
        assert _collect(here, got_here) == [0, 1]
    finally:
        await publisher.stop()
        await other.stop()
        redis.stop()
