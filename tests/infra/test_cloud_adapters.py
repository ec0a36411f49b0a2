"""The cloud adapters against real parts: SQS batching and Secrets Manager on a moto
server, the WebSocket function on redis-server and the embedded PostgreSQL, and the
migration custom resource answering a local HTTP endpoint like CloudFormation's."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any, ClassVar

import anyio
import pytest

from memory_mesh.cloud.secrets import database_url_from_secret, load_cloud_settings
from memory_mesh.config import ConfigError
from memory_mesh.domain.models import Role
from memory_mesh.embeddings import Embedder
from memory_mesh.queue.sqs import SqsQueue, parse_job
from memory_mesh.runtime import Runtime
from memory_mesh.services.messages import MessageInput
from tests.conftest import JWT_SECRET, RedisServer, make_tenant
from tests.infra.lambda_support import (
    MotoEndpoint,
    lambda_context,
    load_event,
    load_function,
    make_queues,
    moto_endpoint,
)

__all__ = ["moto_endpoint"]


async def test_sqs_queue_sends_one_job_per_id_group_in_batches_of_ten(
    moto_endpoint: MotoEndpoint,
) -> None:
    queue_url, _ = make_queues(moto_endpoint)
    queue = SqsQueue(moto_endpoint.client("sqs"), queue_url, ids_per_message=3)
    ids = [uuid.uuid4() for _ in range(35)]  # 12 jobs: two send_message_batch calls

    await queue.enqueue("t-sqs", ids)

    sqs = moto_endpoint.client("sqs")
    bodies: list[str] = []
    while found := sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages"):
        bodies += [m["Body"] for m in found]
    jobs = [parse_job(b) for b in bodies]
    assert len(jobs) == 12
    assert {tenant for tenant, _ in jobs} == {"t-sqs"}
    assert sorted(str(i) for _, group in jobs for i in group) == sorted(str(i) for i in ids)
    assert max(len(group) for _, group in jobs) == 3


async def test_sqs_queue_never_raises_when_sqs_is_unreachable() -> None:
    import boto3

    client = boto3.client(
        "sqs",
        region_name="us-east-1",
        endpoint_url="http://127.0.0.1:9",
        aws_access_key_id="x",
        aws_secret_access_key="x",
        config=__import__("botocore.config").config.Config(
            connect_timeout=0.5, retries={"max_attempts": 1}
        ),
    )
    await SqsQueue(client, "http://127.0.0.1:9/000000000000/q").enqueue("t", [uuid.uuid4()])


def test_database_url_is_built_from_the_rds_secret_with_tls() -> None:
    url = database_url_from_secret(
        {"username": "mm", "password": "p@ss/w:rd", "host": "db.example", "port": 5432}
    )
    assert url == "postgresql://mm:p%40ss%2Fw%3Ard@db.example:5432/postgres?sslmode=require"
    with pytest.raises(ConfigError, match="MEMORY_DATABASE_SECRET_ARN"):
        database_url_from_secret({"username": "mm"})


def test_database_host_replaces_the_secrets_host_for_the_proxy() -> None:
    secret = {"username": "mm", "password": "pw", "host": "cluster.example", "port": 5432}
    url = database_url_from_secret(secret, host="proxy.example")
    assert url == "postgresql://mm:pw@proxy.example:5432/postgres?sslmode=require"


def test_cloud_settings_read_the_referenced_secrets(
    moto_endpoint: MotoEndpoint, monkeypatch: pytest.MonkeyPatch
) -> None:
    secrets = moto_endpoint.client("secretsmanager")
    suffix = uuid.uuid4().hex[:6]
    db = secrets.create_secret(
        Name=f"db-{suffix}",
        SecretString=json.dumps(
            {"username": "mm", "password": "pw", "host": "aurora.local", "dbname": "memory_mesh"}
        ),
    )["ARN"]
    jwt = secrets.create_secret(Name=f"jwt-{suffix}", SecretString=JWT_SECRET)["ARN"]
    monkeypatch.setenv("MEMORY_DATABASE_SECRET_ARN", db)
    monkeypatch.setenv("MEMORY_JWT_SECRET_KEY_SECRET_ARN", jwt)
    monkeypatch.setenv("MEMORY_ENVIRONMENT", "production")
    monkeypatch.setenv("MEMORY_EMBEDDING_PROVIDER", "bedrock")
    monkeypatch.setenv("MEMORY_EMBEDDING_DIMENSIONS", "1024")

    settings = load_cloud_settings(secrets_client=secrets)

    assert settings.database_url == (
        "postgresql://mm:pw@aurora.local:5432/memory_mesh?sslmode=require"
    )
    assert settings.jwt_secret_key is not None
    assert settings.jwt_secret_key.get_secret_value() == JWT_SECRET

    monkeypatch.setenv("MEMORY_DATABASE_SECRET_ARN", db + "-missing")
    with pytest.raises(ConfigError, match="MEMORY_DATABASE_SECRET_ARN"):
        load_cloud_settings(secrets_client=secrets)


@pytest.fixture
def websocket(
    monkeypatch: pytest.MonkeyPatch,
    database_url: str,
    redis_server: RedisServer,
    local_embedder: Embedder,
) -> Iterator[Any]:
    module = load_function(
        "websocket",
        monkeypatch,
        {
            "MEMORY_ENVIRONMENT": "test",
            "MEMORY_DATABASE_URL": database_url,
            "MEMORY_AUTO_MIGRATE": "false",
            "MEMORY_JWT_SECRET_KEY": JWT_SECRET,
            "MEMORY_REDIS_URL": redis_server.url,
        },
    )
    module.container.embedder = local_embedder
    yield module
    module.container.close()


def _ws_event(name: str, connection_id: str, **changes: Any) -> dict[str, Any]:
    event = load_event(name)
    event["requestContext"]["connectionId"] = connection_id
    event.update(changes)
    return event


async def test_websocket_connects_searches_its_tenant_subscribes_and_disconnects(
    websocket: Any, runtime: Runtime
) -> None:
    tenant, key = await make_tenant(runtime)
    other, other_key = await make_tenant(runtime)
    conversation, _ = await runtime.conversations.create(tenant, title="ws", metadata={})
    elsewhere, _ = await runtime.conversations.create(other, title="ws", metadata={})
    for owner, conv, text in (
        (tenant, conversation, "The wifi password is hunter2"),
        (other, elsewhere, "wifi at home"),
    ):
        await runtime.messages.create(  # inline mode: embedded before this returns
            owner, MessageInput(conversation_id=conv.id, role=Role.user, content=text)
        )
    connection = f"c-{uuid.uuid4().hex[:10]}"

    def call(event: dict[str, Any]) -> dict[str, Any]:
        result: dict[str, Any] = websocket.lambda_handler(event, lambda_context("websocket"))
        return result

    async def invoke(event: dict[str, Any]) -> dict[str, Any]:
        return await anyio.to_thread.run_sync(call, event)

    # $connect without a tenant, without a credential, with a bad one or with another
    # tenant's key is refused; a browser's subprotocol credential is accepted and echoed
    refused = await invoke(_ws_event("websocket_connect", connection, queryStringParameters={}))
    assert refused["statusCode"] == 400
    anonymous = _ws_event("websocket_connect", connection)
    anonymous["queryStringParameters"] = {"tenant_id": tenant}
    assert (await invoke(anonymous))["statusCode"] == 401
    for credential, status in (("mm_forged", 401), (other_key, 403)):
        attempt = _ws_event("websocket_connect", connection)
        attempt["queryStringParameters"] = {"tenant_id": tenant}
        attempt["headers"]["x-api-key"] = credential
        assert (await invoke(attempt))["statusCode"] == status
    assert websocket.routes.registry.get(connection) is None
    connect = _ws_event("websocket_connect", connection)
    connect["queryStringParameters"] = {"tenant_id": tenant}
    connect["headers"]["Sec-WebSocket-Protocol"] = f"memory-mesh.v1, auth.{key}"
    accepted = await invoke(connect)
    assert accepted == {"statusCode": 200, "headers": {"Sec-WebSocket-Protocol": "memory-mesh.v1"}}
    record = websocket.routes.registry.get(connection)
    assert record is not None and record["tenant_id"] == tenant
    # subscribed to its tenant at once: events reach it without a subscribe frame
    assert websocket.routes.registry.subscribers(tenant) == {connection}

    # search answers in the route response, only from the connection's own tenant
    search = _ws_event(
        "websocket_message_search",
        connection,
        body=json.dumps({"action": "search", "request_id": "r-1", "query": "wifi password"}),
    )
    frame = json.loads((await invoke(search))["body"])
    assert frame["type"] == "search.results" and frame["request_id"] == "r-1"
    assert [h["message"]["tenant_id"] for h in frame["results"]] == [tenant]

    bad = _ws_event("websocket_message_search", connection, body=json.dumps({"action": "search"}))
    assert json.loads((await invoke(bad))["body"])["code"] == "invalid_input"

    subscribe = _ws_event(
        "websocket_message_search",
        connection,
        body=json.dumps({"action": "subscribe", "conversation_id": str(conversation.id)}),
    )
    subscribe["requestContext"]["routeKey"] = "subscribe"
    assert json.loads((await invoke(subscribe))["body"])["type"] == "subscribed"
    assert websocket.routes.registry.subscribers(tenant, str(conversation.id)) == {connection}

    unknown = json.loads((await invoke(_ws_event("websocket_message_default", connection)))["body"])
    assert unknown["code"] == "unknown_action"

    # $disconnect forgets the connection and its subscriptions
    assert (await invoke(_ws_event("websocket_disconnect", connection)))["statusCode"] == 200
    assert websocket.routes.registry.get(connection) is None
    assert websocket.routes.registry.subscribers(tenant, str(conversation.id)) == set()
    expired = json.loads((await invoke(search))["body"])
    assert expired["code"] == "connection_unknown"


class _CloudFormation(BaseHTTPRequestHandler):
    answers: ClassVar[list[dict[str, Any]]] = []

    def do_PUT(self) -> None:
        length = int(self.headers["Content-Length"])
        type(self).answers.append(json.loads(self.rfile.read(length)))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def response_url() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    answers: ClassVar[list[dict[str, Any]]] = []
    handler = type("Handler", (_CloudFormation,), {"answers": answers})
    server = HTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/response", answers
    server.shutdown()
    server.server_close()


def test_migration_custom_resource_migrates_and_answers_cloudformation(
    monkeypatch: pytest.MonkeyPatch,
    database_url: str,
    response_url: tuple[str, list[dict[str, Any]]],
) -> None:
    url, answers = response_url
    env = {"MEMORY_ENVIRONMENT": "test", "MEMORY_JWT_SECRET_KEY": JWT_SECRET}
    migrate_fn = load_function("migrate", monkeypatch, {**env, "MEMORY_DATABASE_URL": database_url})
    event = load_event("cloudformation_create_request")
    event["ResponseURL"] = url

    result = migrate_fn.lambda_handler(event, lambda_context("migrate"))

    assert result["Status"] == "SUCCESS"
    (answer,) = answers
    assert answer["Status"] == "SUCCESS"
    assert answer["RequestId"] == event["RequestId"]
    assert answer["PhysicalResourceId"] == "memory-mesh-schema"

    # a failure is reported too (CloudFormation would otherwise wait an hour)
    broken = load_function(
        "migrate", monkeypatch, {**env, "MEMORY_DATABASE_URL": "postgresql://nobody@127.0.0.1:9/x"}
    )
    assert broken.lambda_handler(event, lambda_context("migrate"))["Status"] == "FAILED"
    assert answers[-1]["Status"] == "FAILED"
