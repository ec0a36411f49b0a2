"""Live events in AWS, end to end on this machine: a write publishes to the live-events
queue (a real SQS endpoint: moto server) with the subscribed connection ids read from
the real Redis; the pusher function (functions/pusher/app.py, its Lambda handler) takes
the queued records and posts each event to ``@connections`` on a local HTTP server
standing in for API Gateway's management API."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import redis

from memory_mesh.cloud.connections import ConnectionRegistry
from memory_mesh.realtime.hub import Hub
from memory_mesh.realtime.queue_publisher import CONNECTIONS_PER_MESSAGE, QueueEventBus
from tests.conftest import RedisServer
from tests.infra.lambda_support import (
    MotoEndpoint,
    lambda_context,
    load_event,
    load_function,
    moto_endpoint,
)

__all__ = ["moto_endpoint"]


class ManagementApi:
    """Stands in for ``https://<api>.execute-api.<region>.amazonaws.com/<stage>``:
    records each ``POST /<stage>/@connections/<id>``; ids in ``gone`` answer 410, and
    every id answers 500 while ``broken`` is set."""

    def __init__(self) -> None:
        self.posts: list[tuple[str, dict[str, Any]]] = []
        self.gone: set[str] = set()
        self.broken = False
        api = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("content-length", 0))
                data = self.rfile.read(length)
                connection_id = self.path.rsplit("/@connections/", 1)[-1]
                if api.broken:
                    self.send_response(500)
                elif connection_id in api.gone:
                    self.send_response(410)
                else:
                    api.posts.append((connection_id, json.loads(data)))
                    self.send_response(200)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *_: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/dev"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def management_api() -> Iterator[ManagementApi]:
    api = ManagementApi()
    yield api
    api.stop()


@pytest.fixture
def registry(redis_server: RedisServer) -> Iterator[ConnectionRegistry]:
    client = redis.Redis.from_url(redis_server.url)
    client.flushdb()
    yield ConnectionRegistry(client, ttl_seconds=600)
    client.close()


@pytest.fixture
def sqs(moto_endpoint: MotoEndpoint) -> Iterator[Any]:
    client = moto_endpoint.client("sqs")
    yield client
    client.close()


@pytest.fixture
def load_pusher(monkeypatch: pytest.MonkeyPatch, management_api: ManagementApi) -> Iterator[Any]:
    """``functions/pusher/app.py`` imported afresh (a cold start), pointed at the stand-in."""
    modules: list[Any] = []

    def load() -> Any:
        env = {"MEMORY_WEBSOCKET_MANAGEMENT_ENDPOINT": management_api.url}
        modules.append(load_function("pusher", monkeypatch, env))
        return modules[-1]

    yield load
    for module in modules:
        module.pusher.close()


def _queue(sqs: Any, name: str) -> str:
    url: str = sqs.create_queue(QueueName=name)["QueueUrl"]
    return url


def _sqs_event(sqs: Any, queue_url: str) -> dict[str, Any]:
    """What Lambda's SQS trigger hands the pusher: the committed event's shape, with the
    records really received from the queue."""
    received = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1)[
        "Messages"
    ]
    template = load_event("sqs_live_event")["Records"][0]
    records = [
        {
            **template,
            "messageId": m["MessageId"],
            "receiptHandle": m["ReceiptHandle"],
            "body": m["Body"],
        }
        for m in received
    ]
    return {"Records": records}


def _event(tenant: str, conversation: str | None) -> dict[str, Any]:
    return {
        "type": "message.created",
        "tenant_id": tenant,
        "conversation_id": conversation,
        "message": {"id": "m1", "content": "hello"},
        "time": "2026-01-01T00:00:00Z",
    }


def test_a_published_event_reaches_its_tenants_subscribers_through_queue_and_pusher(
    sqs: Any,
    registry: ConnectionRegistry,
    management_api: ManagementApi,
    load_pusher: Any,
) -> None:
    # GIVEN connections of two tenants, one subscribed to a conversation, one gone
    for connection, tenant in [("a1", "acme"), ("a2", "acme"), ("gone", "acme"), ("g1", "globex")]:
        registry.add(connection, tenant_id=tenant)
    registry.subscribe("a1", None)
    registry.subscribe("a2", "c-42")
    registry.subscribe("gone", None)
    registry.subscribe("g1", None)
    management_api.gone.add("gone")
    queue_url = _queue(sqs, "live-events-a")
    bus = QueueEventBus(Hub(), sqs=sqs, queue_url=queue_url, registry=registry)

    # WHEN a write publishes (without waiting) and the invocation ends (flush)
    event = _event("acme", "c-42")
    bus.publish(event)
    bus.flush()
    pusher = load_pusher()
    answer = pusher.lambda_handler(_sqs_event(sqs, queue_url), lambda_context("pusher"))

    # THEN the tenant's and the conversation's subscribers got the event, nobody else,
    # and the gone connection failed nothing
    assert answer == {"batchItemFailures": []}
    assert sorted(c for c, _ in management_api.posts) == ["a1", "a2"]
    assert all(frame == event for _, frame in management_api.posts)


def test_many_subscribers_are_split_across_queue_messages(
    sqs: Any, registry: ConnectionRegistry, management_api: ManagementApi, load_pusher: Any
) -> None:
    count = CONNECTIONS_PER_MESSAGE + 5
    for i in range(count):
        registry.add(f"c{i}", tenant_id="acme")
        registry.subscribe(f"c{i}", None)
    queue_url = _queue(sqs, "live-events-b")
    bus = QueueEventBus(Hub(), sqs=sqs, queue_url=queue_url, registry=registry)
    bus.publish(_event("acme", None))
    bus.flush()
    sqs_event = _sqs_event(sqs, queue_url)
    assert len(sqs_event["Records"]) == 2
    pusher = load_pusher()
    assert pusher.lambda_handler(sqs_event, lambda_context("pusher")) == {"batchItemFailures": []}
    assert len({c for c, _ in management_api.posts}) == count


def test_a_record_no_connection_could_take_is_reported_for_redelivery(
    sqs: Any, registry: ConnectionRegistry, management_api: ManagementApi, load_pusher: Any
) -> None:
    registry.add("a1", tenant_id="acme")
    registry.subscribe("a1", None)
    queue_url = _queue(sqs, "live-events-c")
    bus = QueueEventBus(Hub(), sqs=sqs, queue_url=queue_url, registry=registry)
    bus.publish(_event("acme", None))
    bus.flush()
    management_api.broken = True
    pusher = load_pusher()
    sqs_event = _sqs_event(sqs, queue_url)
    with pytest.raises(Exception, match="All records failed"):
        # Powertools raises when the whole batch failed: Lambda retries it, then the DLQ
        pusher.lambda_handler(sqs_event, lambda_context("pusher"))
    assert management_api.posts == []


def test_a_write_stands_when_the_events_queue_is_unreachable(
    registry: ConnectionRegistry, caplog: pytest.LogCaptureFixture
) -> None:
    import boto3
    from botocore.config import Config

    registry.add("a1", tenant_id="acme")
    registry.subscribe("a1", None)
    dead = boto3.client(
        "sqs",
        region_name="us-east-1",
        endpoint_url="http://127.0.0.1:9",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(connect_timeout=1, read_timeout=1, retries={"max_attempts": 1}),
    )
    bus = QueueEventBus(Hub(), sqs=dead, queue_url="http://127.0.0.1:9/1/q", registry=registry)
    bus.publish(_event("acme", None))  # never raises, never blocks the caller
    bus.flush()
    dead.close()
    assert "live event dropped: cannot send to the events queue" in caplog.text


def test_a_conversation_subscription_by_own_id_or_uuid_gets_its_events(
    sqs: Any, registry: ConnectionRegistry, management_api: ManagementApi, load_pusher: Any
) -> None:
    server_id = "6f1c2b1e-8a4d-4f7e-9c3b-2d5e8f0a1b2c"
    for connection, conversation in [
        ("by-own-id", "user-123"),
        ("by-uuid", server_id),
        ("other-conversation", "user-999"),
    ]:
        registry.add(connection, tenant_id="acme")
        registry.subscribe(connection, conversation)
    queue_url = _queue(sqs, "live-events-d")
    bus = QueueEventBus(Hub(), sqs=sqs, queue_url=queue_url, registry=registry)
    bus.publish({**_event("acme", server_id), "conversation_external_id": "user-123"})
    bus.flush()
    pusher = load_pusher()
    assert pusher.lambda_handler(_sqs_event(sqs, queue_url), lambda_context("pusher")) == {
        "batchItemFailures": []
    }
    assert sorted(c for c, _ in management_api.posts) == ["by-own-id", "by-uuid"]
