"""AWS fan-out: events pushed to API Gateway WebSocket connections whose ids are kept in
Redis (``cloud/connections.py``), through the management API's ``post_to_connection``.
A connection that is gone (410) is removed from the registry.

In Lambda there is no background task that outlives the invocation, so publishing is
done at once, in a small thread pool with short timeouts.
"""

from __future__ import annotations

import json
import logging
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from memory_mesh.config import Settings
from memory_mesh.realtime.hub import Hub

log = logging.getLogger(__name__)


class ApiGatewayBus:
    def __init__(
        self,
        hub: Hub,
        settings: Settings,
        *,
        client: Any | None = None,
        registry: Any | None = None,
    ) -> None:
        self.hub = hub
        self._settings = settings
        self._client = client
        self._registry = registry
        self._pool = ThreadPoolExecutor(max_workers=8, thread_name_prefix="ws-push")
        self.gone = 0

    @property
    def client(self) -> Any:
        if self._client is None:
            import boto3
            from botocore.config import Config

            self._client = boto3.client(
                "apigatewaymanagementapi",
                endpoint_url=self._settings.websocket_management_endpoint,
                config=Config(connect_timeout=2, read_timeout=2, retries={"max_attempts": 1}),
            )
        return self._client

    @property
    def registry(self) -> Any:
        if self._registry is None:
            from memory_mesh.cloud.connections import ConnectionRegistry

            assert self._settings.redis_url
            self._registry = ConnectionRegistry.from_url(
                self._settings.redis_url,
                ttl_seconds=self._settings.websocket_connection_ttl_seconds,
                cluster=self._settings.redis_cluster,
                timeout=self._settings.redis_timeout_seconds,
            )
        return self._registry

    def publish(self, event: dict[str, Any]) -> None:
        tenant = str(event.get("tenant_id"))
        # subscribers of the conversation by UUID and by external id alike
        conversations = [event.get("conversation_id"), event.get("conversation_external_id")]
        try:
            targets = self.registry.subscribers(tenant)
            for conversation in conversations:
                if conversation:
                    targets |= self.registry.subscribers(tenant, str(conversation))
        except Exception as exc:  # no registry: nobody to tell, the write stands
            log.warning("WebSocket registry unavailable: %s", exc)
            return
        data = json.dumps(event).encode()
        for connection_id, ok in zip(
            targets, self._pool.map(lambda c: self._post(c, data), targets), strict=True
        ):
            if not ok:
                self.gone += 1
                try:
                    self.registry.remove(connection_id)
                except Exception as exc:  # its TTL forgets it; publish never raises
                    log.warning("could not forget gone connection %s: %s", connection_id, exc)

    def _post(self, connection_id: str, data: bytes) -> bool:
        """False when the connection is gone (410) and should be forgotten."""
        try:
            self.client.post_to_connection(ConnectionId=connection_id, Data=data)
        except Exception as exc:
            status = getattr(exc, "response", {}).get("ResponseMetadata", {}).get("HTTPStatusCode")
            if status == 410 or type(exc).__name__ == "GoneException":
                return False
            log.warning("could not push to connection %s: %s", connection_id, exc)
        return True

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        self._pool.shutdown(wait=False)
