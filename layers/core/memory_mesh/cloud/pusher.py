"""AWS live events, delivery side: the pusher function posts each queued event to the
WebSocket connections it names, through API Gateway's ``@connections`` management API.

It runs outside the VPC (the management API is on the internet; no NAT gateway needed)
and reads nothing but its SQS records, whose bodies ``realtime/queue_publisher.py``
writes: ``{"connections": [ids], "event": {...}}``.

A connection that is gone (410) is skipped: ``$disconnect`` and the registry's TTL
forget it. A record whose every post failed otherwise (throttled, API down) raises, so
SQS delivers it again and, after ``maxReceiveCount``, dead-letters it; a record that
reached some connections is not retried, so no client sees an event twice.
"""

from __future__ import annotations

import json
import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from memory_mesh.config import ENV_PREFIX

log = logging.getLogger(__name__)


class PusherSettings(BaseSettings):
    """The pusher's only setting; it loads no database, Redis or token configuration."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="ignore", frozen=True)

    websocket_management_endpoint: str = Field(
        description="https://<api-id>.execute-api.<region>.amazonaws.com/<stage>"
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        "INFO", description="As MEMORY_LOG_LEVEL of the service."
    )


class PushFailed(Exception):
    """No connection of a record could be reached (not even to learn it was gone)."""

    def __init__(self, failed: int) -> None:
        super().__init__(f"no connection of {failed} could be reached")
        self.failed = failed


@dataclass(frozen=True)
class PushOutcome:
    sent: int
    gone: int
    failed: int


def parse_record(body: str) -> tuple[list[str], bytes]:
    """``(connection_ids, frame)`` of a queued event; ValueError if it is not one."""
    data = json.loads(body)
    if not isinstance(data, dict) or not isinstance(data.get("connections"), list):
        raise ValueError("not a live event: expected {connections, event}")
    if not isinstance(data.get("event"), dict):
        raise ValueError("not a live event: expected {connections, event}")
    return [str(c) for c in data["connections"]], json.dumps(data["event"]).encode()


class Pusher:
    def __init__(self, client: Any, *, workers: int = 8) -> None:
        self._client = client
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="ws-push")

    @classmethod
    def create(cls, settings: PusherSettings) -> Pusher:
        import boto3
        from botocore.config import Config

        client = boto3.client(
            "apigatewaymanagementapi",
            endpoint_url=settings.websocket_management_endpoint,
            config=Config(connect_timeout=2, read_timeout=2, retries={"max_attempts": 2}),
        )
        return cls(client)

    def push(self, body: str) -> PushOutcome:
        """Post one queued event to each of its connections (in parallel)."""
        connections, frame = parse_record(body)
        results = list(self._pool.map(lambda c: self._post(c, frame), connections))
        outcome = PushOutcome(
            sent=results.count("sent"), gone=results.count("gone"), failed=results.count("failed")
        )
        if outcome.failed and not (outcome.sent or outcome.gone):
            raise PushFailed(len(connections))
        return outcome

    def _post(self, connection_id: str, frame: bytes) -> str:
        try:
            self._client.post_to_connection(ConnectionId=connection_id, Data=frame)
        except Exception as exc:
            response = getattr(exc, "response", None) or {}
            status = response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            if status == 410 or type(exc).__name__ == "GoneException":
                return "gone"
            log.warning("could not push to connection %s: %s", connection_id, exc)
            return "failed"
        return "sent"

    def close(self) -> None:
        """Release the HTTP connections and threads (tests; Lambda just freezes)."""
        self._pool.shutdown(wait=True)
        self._client.close()
