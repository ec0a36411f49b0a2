"""The three users of Redis — the WebSocket connection store, the rate limiter and the
real-time bus — against a plain Redis AND a cluster-mode one (one node owning every
slot, like ElastiCache Serverless, which is always cluster mode): every test here runs
once per mode (``any_redis``)."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable

import pytest
import redis
from redis.cluster import RedisCluster

from memory_mesh.cloud.connections import ConnectionRegistry
from memory_mesh.ratelimit.limiter import RateLimiter
from memory_mesh.realtime.bus import RedisBus
from memory_mesh.realtime.hub import Hub, Subscriber
from tests.conftest import RedisServer


def test_the_cluster_fixture_refuses_a_transaction_across_hash_slots(
    redis_cluster_server: RedisServer,
) -> None:
    # CROSSSLOT, what broke WebSocket connect/disconnect on ElastiCache Serverless: MULTI/EXEC over
    # keys of different slots. The fixture must behave the same, or the tests prove nothing.
    client = redis.Redis.from_url(redis_cluster_server.url)
    pipe = client.pipeline(transaction=True)
    pipe.set("memory_mesh:ws:conn:a", "1")
    pipe.sadd("memory_mesh:ws:subs:acme", "a")
    with pytest.raises(redis.ResponseError, match="same slot"):
        pipe.execute()


def test_connections_subscribe_are_found_and_removed(any_redis: tuple[RedisServer, bool]) -> None:
    server, cluster = any_redis
    registry = ConnectionRegistry.from_url(server.url, ttl_seconds=600, cluster=cluster)
    if cluster:
        assert isinstance(registry._redis, RedisCluster)  # routed by slot, not one node
    tenant, conversation = f"t-{uuid.uuid4().hex[:8]}", str(uuid.uuid4())
    registry.add("c1", tenant_id=tenant)
    registry.subscribe("c1", None)
    registry.subscribe("c1", conversation)
    registry.add("c2", tenant_id=tenant)
    registry.subscribe("c2", conversation)

    assert registry.get("c1") == {
        "tenant_id": tenant,
        "subscriptions": [
            f"memory_mesh:ws:subs:{tenant}",
            f"memory_mesh:ws:subs:{tenant}:{conversation}",
        ],
    }
    assert registry.subscribers(tenant) == {"c1"}
    assert registry.subscribers(tenant, conversation) == {"c1", "c2"}

    registry.remove("c1")
    assert registry.get("c1") is None
    assert registry.subscribers(tenant) == set()
    assert registry.subscribers(tenant, conversation) == {"c2"}
    registry.remove("never-connected")  # a $disconnect for an unknown id is harmless


async def test_rate_limits_are_counted_in_redis_and_shared_between_processes(
    any_redis: tuple[RedisServer, bool],
) -> None:
    server, cluster = any_redis
    one = RateLimiter(server.url, cluster=cluster)
    other = RateLimiter(server.url, cluster=cluster)  # another process, same Redis
    key = f"k-{uuid.uuid4().hex[:8]}"
    try:
        assert await one.ping() and await other.ping()
        first = [(await one.hit("3/minute", key)).allowed for _ in range(2)]
        then = [(await other.hit("3/minute", key)).allowed for _ in range(2)]
        assert first + then == [True, True, True, False]
        assert one.backend == other.backend == "redis"
        assert not (await other.test("3/minute", key)).allowed
        await one.clear("3/minute", key)
        assert (await other.test("3/minute", key)).allowed
    finally:
        await one.close()
        await other.close()


async def _until(predicate: Callable[[], bool], *, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.02)


async def test_events_published_by_one_process_reach_the_subscribers_of_another(
    any_redis: tuple[RedisServer, bool],
) -> None:
    server, _cluster = any_redis
    hub_here, hub_there = Hub(), Hub()
    here, there = Subscriber("acme", None, 100), Subscriber("acme", None, 100)
    elsewhere = Subscriber("globex", None, 100)
    hub_here.add(here)
    hub_there.add(there)
    hub_there.add(elsewhere)
    publisher, listener = RedisBus(hub_here, server.url), RedisBus(hub_there, server.url)
    try:
        await publisher.start()
        await listener.start()
        assert publisher.subscribed and listener.subscribed
        for n in range(3):
            publisher.publish({"type": "message.created", "tenant_id": "acme", "n": n})
        await _until(lambda: there.queue.qsize() == 3, seconds=30, what="cross-process events")
        await _until(lambda: here.queue.qsize() == 3, seconds=30, what="own events")
    finally:
        await publisher.stop()
        await listener.stop()
    assert [there.queue.get_nowait()["n"] for _ in range(3)] == [0, 1, 2]
    assert elsewhere.queue.empty()  # never another tenant's events
