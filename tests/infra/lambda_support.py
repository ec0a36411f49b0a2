"""Helpers for invoking the Lambda functions in-process: committed events, a Lambda
context, fresh imports of ``functions/<name>/app.py`` under a given environment, and a
real moto server on 127.0.0.1 (SQS, Secrets Manager)."""

from __future__ import annotations

import copy
import importlib.util
import json
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import urlencode

import pytest

from memory_mesh.cloud.sqs_poller import LocalLambdaContext

ROOT = Path(__file__).resolve().parents[2]
EVENTS = ROOT / "tests" / "events"
FUNCTIONS = ROOT / "functions"
REGION = "us-east-1"
AWS_TEST_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": REGION,
    "POWERTOOLS_SERVICE_NAME": "memory-mesh",
    "POWERTOOLS_METRICS_NAMESPACE": "MemoryMesh",
}


def load_event(name: str) -> dict[str, Any]:
    event: dict[str, Any] = json.loads((EVENTS / f"{name}.json").read_text())
    return copy.deepcopy(event)


def lambda_context(function_name: str = "test-function") -> LocalLambdaContext:
    return LocalLambdaContext(function_name=function_name, timeout_seconds=30.0)


def load_function(name: str, monkeypatch: pytest.MonkeyPatch, env: dict[str, str]) -> ModuleType:
    """Import ``functions/<name>/app.py`` afresh (a cold start) under ``env``."""
    for key, value in {**AWS_TEST_ENV, **env}.items():
        monkeypatch.setenv(key, value)
    module_name = f"lambda_fn_{name}_{uuid.uuid4().hex[:8]}"
    spec = importlib.util.spec_from_file_location(module_name, FUNCTIONS / name / "app.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    return module


def http_event(
    fixture: str,
    *,
    method: str,
    path: str,
    query: dict[str, str] | None = None,
    body: Any = None,
    api_key: str | None = None,
) -> dict[str, Any]:
    """A committed HTTP API (payload 2.0) event, pointed at another method/path/query."""
    event = load_event(fixture)
    event["rawPath"] = path
    event["requestContext"]["http"]["method"] = method
    event["requestContext"]["http"]["path"] = path
    event["rawQueryString"] = urlencode(query or {})
    if query:
        event["queryStringParameters"] = dict(query)
    else:
        event.pop("queryStringParameters", None)
    if api_key is None:
        event["headers"].pop("x-api-key", None)
    else:
        event["headers"]["x-api-key"] = api_key
    if body is None:
        event.pop("body", None)
        event["headers"].pop("content-type", None)
        event["headers"].pop("content-length", None)
    else:
        text = json.dumps(body)
        event["body"] = text
        event["headers"]["content-type"] = "application/json"
        event["headers"]["content-length"] = str(len(text.encode()))
    return event


class MotoEndpoint:
    """moto in server mode on 127.0.0.1, on a free port (a real HTTP AWS endpoint)."""

    def __init__(self) -> None:
        from moto.server import ThreadedMotoServer

        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        self._server.start()
        host, port = self._server.get_host_and_port()
        self.url = f"http://{host}:{port}"

    def client(self, service: str) -> Any:
        import boto3

        return boto3.client(
            service,
            region_name=REGION,
            endpoint_url=self.url,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )

    def stop(self) -> None:
        self._server.stop()


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[MotoEndpoint]:
    endpoint = MotoEndpoint()
    yield endpoint
    endpoint.stop()


@pytest.fixture
def powertools_on_moto(
    monkeypatch: pytest.MonkeyPatch, moto_endpoint: MotoEndpoint
) -> Iterator[Any]:
    """Powertools' default Secrets Manager provider, made afresh against the moto server
    (as in Lambda, where it is made on first use against the region's endpoint)."""
    from aws_lambda_powertools.utilities.parameters.constants import DEFAULT_PROVIDERS

    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_endpoint.url)
    monkeypatch.delitem(DEFAULT_PROVIDERS, "secrets", raising=False)
    client = moto_endpoint.client("secretsmanager")
    yield client
    DEFAULT_PROVIDERS.pop("secrets", None)  # its client names the moto server


def make_queues(moto: MotoEndpoint, *, max_receive_count: int = 3) -> tuple[str, str]:
    """A fresh embedding queue with its dead-letter queue: (queue url, dlq url)."""
    sqs = moto.client("sqs")
    suffix = uuid.uuid4().hex[:8]
    dlq_url = sqs.create_queue(QueueName=f"embedding-dlq-{suffix}")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    queue_url = sqs.create_queue(
        QueueName=f"embedding-{suffix}",
        Attributes={
            "VisibilityTimeout": "360",
            "RedrivePolicy": json.dumps(
                {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": str(max_receive_count)}
            ),
        },
    )["QueueUrl"]
    return queue_url, dlq_url


def warm_listing_function(
    monkeypatch: pytest.MonkeyPatch, secret_arn: str, embedder: Any, tenant: str, key: str
) -> tuple[ModuleType, dict[str, Any]]:
    """The conversations function logging in with the database secret ``secret_arn`` (as
    the template gives it), and an event listing ``tenant``'s conversations with ``key``."""
    from tests.conftest import JWT_SECRET

    function = load_function(
        "conversations",
        monkeypatch,
        {
            "MEMORY_ENVIRONMENT": "test",
            "MEMORY_AUTO_MIGRATE": "false",
            "MEMORY_DATABASE_SECRET_ARN": secret_arn,
            "MEMORY_JWT_SECRET_KEY": JWT_SECRET,
        },
    )
    function.container.embedder = embedder
    event = http_event(
        "http_conversations_list",
        method="GET",
        path="/v1/conversations",
        query={"tenant_id": tenant},
        api_key=key,
    )
    return function, event


def database_sessions(owner_url: str, username: str) -> list[int]:
    """The server processes of ``username``'s open connections."""
    import psycopg

    with psycopg.connect(owner_url) as owner:
        rows = owner.execute(
            "select pid from pg_stat_activity where usename = %s", [username]
        ).fetchall()
    return [int(row[0]) for row in rows]
