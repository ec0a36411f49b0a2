"""AWS fan-out: events pushed through a stubbed API Gateway management API to the
connection ids kept in the real Redis; a gone connection (410) is forgotten."""

from __future__ import annotations

import json
import uuid

import boto3
from botocore.stub import Stubber

from memory_mesh.cloud.connections import ConnectionRegistry
from memory_mesh.realtime.apigw import ApiGatewayBus
from memory_mesh.realtime.hub import Hub
from memory_mesh.redis_clients import sync_client
from tests.conftest import RedisServer, make_settings


def test_events_reach_subscribed_connections_and_gone_ones_are_removed(
    database_url: str, any_redis: tuple[RedisServer, bool]
) -> None:
    redis_server, cluster = any_redis  # plain, and cluster mode as on ElastiCache Serverless
    client = sync_client(redis_server.url, cluster=cluster, timeout=2.0)
    registry = ConnectionRegistry(client, ttl_seconds=600, prefix=f"test-apigw-{uuid.uuid4().hex}")
    registry.add("alive", tenant_id="acme")
    registry.subscribe("alive", None)
    registry.add("gone", tenant_id="acme")
    registry.subscribe("gone", None)
    registry.add("other-tenant", tenant_id="globex")
    registry.subscribe("other-tenant", None)

    client = boto3.client(
        "apigatewaymanagementapi",
        endpoint_url="https://example.execute-api.eu-west-1.amazonaws.com/prod",
        region_name="eu-west-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )
    event = {
        "type": "message.created",
        "tenant_id": "acme",
        "conversation_id": "c1",
        "message": {"id": "m1", "content": "hi"},
        "time": "2026-01-01T00:00:00Z",
    }
    settings = make_settings(
        database_url,
        redis_url=redis_server.url,
        redis_cluster=cluster,
        websocket_management_endpoint="https://example.invalid",
    )
    bus = ApiGatewayBus(Hub(), settings, client=client, registry=registry)
    with Stubber(client) as stub:
        # order of the two posts is not fixed: answer by connection id
        calls: list[str] = []
        original = client.post_to_connection

        def post(**kwargs: object) -> object:
            calls.append(str(kwargs["ConnectionId"]))
            assert json.loads(kwargs["Data"]) == event  # type: ignore[arg-type]
            if kwargs["ConnectionId"] == "gone":
                stub.add_client_error(
                    "post_to_connection", service_error_code="GoneException", http_status_code=410
                )
            else:
                stub.add_response("post_to_connection", {})
            return original(**kwargs)

        client.post_to_connection = post  # type: ignore[method-assign]
        bus.publish(event)
    assert sorted(calls) == ["alive", "gone"]  # never the other tenant's connection
    assert bus.gone == 1
    assert registry.get("gone") is None and registry.subscribers("acme") == {"alive"}
    assert registry.subscribers("globex") == {"other-tenant"}


def test_a_conversation_subscription_by_own_id_or_uuid_gets_its_events(
    database_url: str, redis_server: RedisServer
) -> None:
    registry = ConnectionRegistry(
        sync_client(redis_server.url, cluster=False, timeout=2.0),
        ttl_seconds=600,
        prefix=f"test-apigw-conv-{uuid.uuid4().hex}",
    )
    server_id = "6f1c2b1e-8a4d-4f7e-9c3b-2d5e8f0a1b2c"
    for connection, conversation in [
        ("by-own-id", "user-123"),
        ("by-uuid", server_id),
        ("other-conversation", "user-999"),
    ]:
        registry.add(connection, tenant_id="acme")
        registry.subscribe(connection, conversation)
    client = boto3.client(
        "apigatewaymanagementapi",
        endpoint_url="https://example.execute-api.eu-west-1.amazonaws.com/prod",
        region_name="eu-west-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )
    settings = make_settings(
        database_url,
        redis_url=redis_server.url,
        websocket_management_endpoint="https://example.invalid",
    )
    bus = ApiGatewayBus(Hub(), settings, client=client, registry=registry)
    calls: list[str] = []
    with Stubber(client) as stub:
        original = client.post_to_connection

        def post(**kwargs: object) -> object:
            calls.append(str(kwargs["ConnectionId"]))
            stub.add_response("post_to_connection", {})
            return original(**kwargs)

        client.post_to_connection = post  # type: ignore[method-assign]
        bus.publish(
            {
                "type": "message.created",
                "tenant_id": "acme",
                "conversation_id": server_id,
                "conversation_external_id": "user-123",
                "message": {"id": "m1", "content": "hi"},
            }
        )
    assert sorted(calls) == ["by-own-id", "by-uuid"]
