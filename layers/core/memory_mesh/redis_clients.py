"""Redis clients for a plain Redis or a cluster-mode one, with every call bounded.

``MEMORY_REDIS_CLUSTER=true`` says the Redis at ``MEMORY_REDIS_URL`` runs in cluster mode
(ElastiCache Serverless always does): keys are then routed by hash slot with redis-py's
cluster client, and no MULTI/EXEC (or script) may span slots. Pub/sub needs no cluster
client: in cluster mode a PUBLISH reaches the subscribers of every node, so the real-time
bus keeps one plain connection to the endpoint (``SELECT`` is never sent: the URL names
database 0 or none).

``timeout`` (``MEMORY_REDIS_TIMEOUT_SECONDS``) bounds connecting and every reply, so a
Redis that accepts connections and never answers fails like one that is down.
"""

from __future__ import annotations

from typing import Any


def _common(timeout: float) -> dict[str, Any]:
    return {"socket_timeout": timeout, "socket_connect_timeout": timeout}


def sync_client(url: str, *, cluster: bool, timeout: float) -> Any:
    """A ``redis.Redis`` or ``redis.cluster.RedisCluster`` for ``url``."""
    import redis

    if cluster:
        from redis.cluster import RedisCluster

        return RedisCluster.from_url(url, **_common(timeout))
    return redis.Redis.from_url(url, **_common(timeout))


def async_client(url: str, *, cluster: bool, timeout: float, retry_once: bool = False) -> Any:
    """A ``redis.asyncio`` client (or cluster client) for ``url``. ``retry_once``: a
    pooled connection left from before a Redis restart fails once on use; reconnect and
    send again at once (never used where a lost connection must surface)."""
    import redis.asyncio as aioredis

    options = _common(timeout)
    if retry_once:
        from redis.asyncio.retry import Retry
        from redis.backoff import NoBackoff

        options["retry"] = Retry(NoBackoff(), retries=1)
    if cluster:
        from redis.asyncio.cluster import RedisCluster

        return RedisCluster.from_url(url, **options)
    return aioredis.Redis.from_url(url, **options)


def pubsub_client(url: str, *, timeout: float, retry_once: bool = False) -> Any:
    """A plain ``redis.asyncio`` client for pub/sub, whether or not ``url`` is a cluster."""
    return async_client(url, cluster=False, timeout=timeout, retry_once=retry_once)
