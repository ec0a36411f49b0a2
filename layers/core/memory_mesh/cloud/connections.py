"""WebSocket connections kept in Redis (ElastiCache Serverless in AWS).

A connection is ``{tenant_id}`` under ``<prefix>:conn:<id>`` with a TTL (API Gateway
closes a WebSocket after 2 hours at most, so a missed ``$disconnect`` cleans itself up).
A subscription adds the connection id to ``<prefix>:subs:<tenant>[:<conversation>]``.

Those keys live in different hash slots, so nothing here is a MULTI/EXEC transaction
(on a cluster-mode Redis, ElastiCache Serverless, one would fail with CROSSSLOT):
pipelines are plain batches, written in the order that keeps a half-applied batch
harmless — the connection's record names a subscription before the set holds it, so
``remove`` always finds what to clean, and every set expires with the connection.

Every call is bounded by the client's timeouts; a Redis that is down or hung raises
:class:`~memory_mesh.errors.ServiceUnavailable` (``connection_store_unavailable``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from memory_mesh.errors import ServiceUnavailable
from memory_mesh.observability.xray import subsegment

T = TypeVar("T")


class ConnectionRegistry:
    def __init__(self, client: Any, *, ttl_seconds: int, prefix: str = "memory_mesh:ws") -> None:
        self._redis = client
        self._ttl = ttl_seconds
        self._prefix = prefix

    @classmethod
    def from_url(
        cls, url: str, *, ttl_seconds: int, cluster: bool = False, timeout: float = 0.5
    ) -> ConnectionRegistry:
        from memory_mesh.redis_clients import sync_client

        with _unavailable_on_error():  # the cluster client asks for the slot map at once
            client = sync_client(url, cluster=cluster, timeout=timeout)
        return cls(client, ttl_seconds=ttl_seconds)

    def _conn(self, connection_id: str) -> str:
        return f"{self._prefix}:conn:{connection_id}"

    def _subs(self, tenant_id: str, conversation_id: str | None) -> str:
        key = f"{self._prefix}:subs:{tenant_id}"
        return f"{key}:{conversation_id}" if conversation_id else key

    def add(self, connection_id: str, *, tenant_id: str) -> None:
        record = {"tenant_id": tenant_id, "subscriptions": []}
        with _unavailable_on_error():
            self._redis.set(self._conn(connection_id), json.dumps(record), ex=self._ttl)

    def get(self, connection_id: str) -> dict[str, Any] | None:
        with _unavailable_on_error():
            raw = self._redis.get(self._conn(connection_id))
        if raw is None:
            return None
        record: dict[str, Any] = json.loads(raw)
        return record

    def subscribe(self, connection_id: str, conversation_id: str | None) -> None:
        record = self.get(connection_id)
        if record is None:
            raise KeyError(connection_id)
        key = self._subs(record["tenant_id"], conversation_id)
        if key not in record["subscriptions"]:
            record["subscriptions"].append(key)
        self._batch(
            lambda pipe: (
                pipe.set(self._conn(connection_id), json.dumps(record), keepttl=True),
                pipe.sadd(key, connection_id),
                pipe.expire(key, self._ttl),
            )
        )

    def subscribers(self, tenant_id: str, conversation_id: str | None = None) -> set[str]:
        with _unavailable_on_error():
            members = self._redis.smembers(self._subs(tenant_id, conversation_id))
        return {m.decode() if isinstance(m, bytes) else str(m) for m in members}

    def remove(self, connection_id: str) -> None:
        record = self.get(connection_id)

        def commands(pipe: Any) -> None:
            for key in (record or {}).get("subscriptions", []):
                pipe.srem(key, connection_id)
            pipe.delete(self._conn(connection_id))

        self._batch(commands)

    def _batch(self, commands: Callable[[Any], object]) -> None:
        """Send ``commands`` in one round trip (per node), without MULTI/EXEC."""
        with _unavailable_on_error():
            pipe = self._redis.pipeline(transaction=False)
            commands(pipe)
            pipe.execute()


@contextmanager
def _unavailable_on_error() -> Iterator[None]:
    """One Redis call: an X-Ray subsegment (Lambda only), and its failure as a 503."""
    from redis.exceptions import RedisClusterException, RedisError

    try:
        with subsegment("redis", operation="connections"):
            yield
    except (RedisError, RedisClusterException, OSError) as exc:
        raise ServiceUnavailable(
            f"the WebSocket connection store is unavailable: {type(exc).__name__}",
            code="connection_store_unavailable",
        ) from exc
