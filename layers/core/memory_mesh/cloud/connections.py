"""WebSocket connections kept in Redis (ElastiCache Serverless in AWS).

A connection is ``{tenant_id}`` under ``<prefix>:conn:<id>`` with a TTL (API Gateway
closes a WebSocket after 2 hours at most, so a missed ``$disconnect`` cleans itself up).
A subscription adds the connection id to ``<prefix>:subs:<tenant>[:<conversation>]``.
"""

from __future__ import annotations

import json
from typing import Any


class ConnectionRegistry:
    def __init__(self, client: Any, *, ttl_seconds: int, prefix: str = "memory_mesh:ws") -> None:
        self._redis = client
        self._ttl = ttl_seconds
        self._prefix = prefix

    @classmethod
    def from_url(cls, url: str, *, ttl_seconds: int) -> ConnectionRegistry:
        import redis  # cloud-only dependency

        client = redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5)
        return cls(client, ttl_seconds=ttl_seconds)

    def _conn(self, connection_id: str) -> str:
        return f"{self._prefix}:conn:{connection_id}"

    def _subs(self, tenant_id: str, conversation_id: str | None) -> str:
        key = f"{self._prefix}:subs:{tenant_id}"
        return f"{key}:{conversation_id}" if conversation_id else key

    def add(self, connection_id: str, *, tenant_id: str) -> None:
        record = {"tenant_id": tenant_id, "subscriptions": []}
        self._redis.set(self._conn(connection_id), json.dumps(record), ex=self._ttl)

    def get(self, connection_id: str) -> dict[str, Any] | None:
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
        pipe = self._redis.pipeline()
        pipe.sadd(key, connection_id)
        pipe.expire(key, self._ttl)
        pipe.set(self._conn(connection_id), json.dumps(record), keepttl=True)
        pipe.execute()

    def subscribers(self, tenant_id: str, conversation_id: str | None = None) -> set[str]:
        members = self._redis.smembers(self._subs(tenant_id, conversation_id))
        return {m.decode() if isinstance(m, bytes) else str(m) for m in members}

    def remove(self, connection_id: str) -> None:
        record = self.get(connection_id)
        pipe = self._redis.pipeline()
        for key in (record or {}).get("subscriptions", []):
            pipe.srem(key, connection_id)
        pipe.delete(self._conn(connection_id))
        pipe.execute()
