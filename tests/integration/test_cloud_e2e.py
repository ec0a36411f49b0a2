"""The cloud path on one machine: API Gateway events into the functions' handlers, a real
SQS endpoint (moto server on 127.0.0.1), the local stand-in for Lambda's SQS trigger,
the embedded PostgreSQL. Handlers run in worker threads, as Lambda's runtime calls
them: synchronously, each function with its own container (runtime, pool, loop)."""

from __future__ import annotations

import gc
import json
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from types import ModuleType
from typing import Any

import anyio
import pytest

from memory_mesh.cloud.sqs_poller import SqsPoller
from memory_mesh.embeddings import Embedder, EmbedderInfo, Matrix, Vector
from memory_mesh.queue.sqs import parse_job
from memory_mesh.runtime import Runtime
from tests.conftest import JWT_SECRET, RedisServer, make_tenant
from tests.infra.lambda_support import (
    MotoEndpoint,
    http_event,
    lambda_context,
    load_event,
    load_function,
    make_queues,
    moto_endpoint,
)

__all__ = ["moto_endpoint"]  # the session fixture, used here

MAX_RECEIVES = 3


class PoisonEmbedder:
    """The real embedder, except that any text containing POISON fails every time."""

    def __init__(self, inner: Embedder) -> None:
        self.inner = inner

    @property
    def info(self) -> EmbedderInfo:
        return self.inner.info

    def embed_documents(self, texts: Sequence[str]) -> Matrix:
        if any("POISON" in t for t in texts):
            raise ValueError("this text poisons the model")
        return self.inner.embed_documents(texts)

    def embed_query(self, text: str) -> Vector:
        return self.inner.embed_query(text)


class Cloud:
    """The functions of one deployment, loaded (cold) under one environment."""

    def __init__(self, moto: MotoEndpoint, queue_url: str, dlq_url: str) -> None:
        self.moto = moto
        self.queue_url = queue_url
        self.dlq_url = dlq_url
        self.functions: dict[str, ModuleType] = {}

    def load(
        self, name: str, monkeypatch: pytest.MonkeyPatch, env: dict[str, str], embedder: Embedder
    ) -> ModuleType:
        module = load_function(name, monkeypatch, env)
        module.container.embedder = embedder
        self.functions[name] = module
        return module

    async def invoke(self, name: str, event: dict[str, Any]) -> Any:
        handler: Callable[..., Any] = self.functions[name].lambda_handler
        return await anyio.to_thread.run_sync(handler, event, lambda_context(name))

    async def http(self, name: str, **request: Any) -> tuple[int, Any]:
        fixture = {"memory": "http_memory_search", "admin": "http_admin_health"}.get(
            name, "http_messages_post"
        )
        response = await self.invoke(name, http_event(fixture, **request))
        body = response.get("body") or "null"
        return int(response["statusCode"]), json.loads(body)

    def poller(self) -> SqsPoller:
        return SqsPoller(
            self.moto.client("sqs"), self.queue_url, self.functions["embed_worker"].lambda_handler
        )

    async def close(self) -> None:
        for module in self.functions.values():
            await anyio.to_thread.run_sync(module.container.close)
        # what a container left open (a Redis connection on its closed loop) is reported
        # now, failing this test, not whichever test the garbage collector next runs in
        gc.collect()


@pytest.fixture
async def cloud(
    monkeypatch: pytest.MonkeyPatch,
    moto_endpoint: MotoEndpoint,
    database_url: str,
    redis_server: RedisServer,
    local_embedder: Embedder,
) -> AsyncIterator[Cloud]:
    queue_url, dlq_url = make_queues(moto_endpoint, max_receive_count=MAX_RECEIVES)
    env = {
        "MEMORY_ENVIRONMENT": "test",
        "MEMORY_DATABASE_URL": database_url,
        "MEMORY_AUTO_MIGRATE": "false",
        "MEMORY_JWT_SECRET_KEY": JWT_SECRET,
        "MEMORY_REDIS_URL": redis_server.url,
        "MEMORY_EMBEDDING_MODE": "async",
        "MEMORY_EMBEDDING_MAX_ATTEMPTS": str(MAX_RECEIVES),
        "MEMORY_EMBEDDING_RETRY_BASE_SECONDS": "0",
        "MEMORY_SQS_QUEUE_URL": queue_url,
        "MEMORY_SQS_ENDPOINT_URL": moto_endpoint.url,
        "MEMORY_AWS_REGION": "us-east-1",
        "MEMORY_DB_POOL_MAX_SIZE": "2",
    }
    deployment = Cloud(moto_endpoint, queue_url, dlq_url)
    for name in ("messages", "memory", "admin", "sweeper"):
        deployment.load(name, monkeypatch, env, local_embedder)
    deployment.load("embed_worker", monkeypatch, env, PoisonEmbedder(local_embedder))
    yield deployment
    await deployment.close()


async def _conversation(runtime: Runtime, tenant: str) -> str:
    conversation, _ = await runtime.conversations.create(tenant, title="cloud", metadata={})
    return str(conversation.id)


def _queue_bodies(cloud: Cloud, url: str) -> list[str]:
    sqs = cloud.moto.client("sqs")
    found = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=0)
    return [m["Body"] for m in found.get("Messages", [])]


async def test_message_posted_through_api_gateway_is_embedded_from_sqs_and_found(
    cloud: Cloud, runtime: Runtime
) -> None:
    # GIVEN a tenant with an API key and a conversation
    tenant, key = await make_tenant(runtime)
    conversation = await _conversation(runtime, tenant)

    # WHEN a message is posted through the messages function's API Gateway event
    status, stored = await cloud.http(
        "messages",
        method="POST",
        path="/v1/messages",
        api_key=key,
        body={
            "tenant_id": tenant,
            "conversation_id": conversation,
            "role": "user",
            "content": "My daughter is allergic to peanuts and sesame.",
        },
    )

    # THEN it is stored at once, pending, with one job on the real SQS queue
    assert status == 201, stored
    assert stored["embedding"]["status"] == "pending"
    (job,) = _queue_bodies(cloud, cloud.queue_url)
    assert parse_job(job) == (tenant, [uuid.UUID(stored["id"])])

    # WHEN the stand-in event source mapping delivers the queue to the embedding function
    result = await anyio.to_thread.run_sync(cloud.poller().drain)

    # THEN the job succeeded, left the queue, and the memory function's search finds it
    assert (result.received, result.succeeded, result.failed) == (1, 1, 0)
    assert _queue_bodies(cloud, cloud.queue_url) == []
    status, found = await cloud.http(
        "memory",
        method="GET",
        path="/v1/memory/search",
        api_key=key,
        query={"tenant_id": tenant, "query": "food allergies", "mode": "vector"},
    )
    assert status == 200, found
    assert [hit["message"]["id"] for hit in found["results"]] == [stored["id"]]
    assert found["results"][0]["message"]["embedding"]["status"] == "ready"


async def test_poison_job_lands_in_the_dlq_and_its_message_stays_failed_then_replays(
    cloud: Cloud, runtime: Runtime
) -> None:
    # GIVEN a good message and one the embedder always fails on, both posted in async mode
    tenant, key = await make_tenant(runtime)
    conversation = await _conversation(runtime, tenant)
    ids = {}
    for label, content in (("good", "We fly to Lisbon in May."), ("bad", "POISON pill")):
        status, stored = await cloud.http(
            "messages",
            method="POST",
            path="/v1/messages",
            api_key=key,
            body={
                "tenant_id": tenant,
                "conversation_id": conversation,
                "role": "user",
                "content": content,
            },
        )
        assert status == 201, stored
        ids[label] = stored["id"]

    # WHEN the poller runs until the queue is empty
    result = await anyio.to_thread.run_sync(cloud.poller().drain)

    # THEN the good job succeeded once; the poison one was received MAX_RECEIVES times,
    # reported as a batch item failure each time, and SQS moved it to the DLQ
    assert result.succeeded == 1
    assert result.failed == MAX_RECEIVES
    assert _queue_bodies(cloud, cloud.queue_url) == []
    (dead,) = _queue_bodies(cloud, cloud.dlq_url)
    assert parse_job(dead) == (tenant, [uuid.UUID(ids["bad"])])

    # AND the stored message stays, marked failed after MAX_RECEIVES attempts
    bad = (await runtime.messages.get(tenant, uuid.UUID(ids["bad"]))).embedding_status
    assert bad.value == "failed"
    good = (await runtime.messages.get(tenant, uuid.UUID(ids["good"]))).embedding_status
    assert good.value == "ready"

    # WHEN an operator replays it through the admin function and the sweeper runs
    # (the sweeper's embedder is healthy: the cause was fixed)
    status, replay = await cloud.http(
        "admin",
        method="POST",
        path="/v1/admin/embeddings/replay",
        api_key=key,
        query={"tenant_id": tenant},
    )
    assert (status, replay) == (200, {"requeued": 1})
    swept = await cloud.invoke("sweeper", load_event("events_scheduled"))

    # THEN it is embedded and found
    assert swept["embedded"] >= 1
    status, found = await cloud.http(
        "memory",
        method="GET",
        path="/v1/memory/search",
        api_key=key,
        query={"tenant_id": tenant, "query": "poison", "mode": "keyword"},
    )
    assert status == 200, found
    assert ids["bad"] in [hit["message"]["id"] for hit in found["results"]]
