"""What operators see from a function in Lambda: every ``memory_mesh.*`` log line as
Powertools JSON at ``MEMORY_LOG_LEVEL``; X-Ray subsegments for SQL, the embedding call and
Redis (sent as real UDP datagrams to a stand-in X-Ray daemon); and each embedding metric
emitted once, not once by the adapter and again by the service's EMF backend.

The logging and X-Ray test runs the function in a child process with Lambda's
environment (the X-Ray SDK decides at import whether it is in Lambda, and the logging
set-up is process-wide).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import anyio
import pytest

from memory_mesh.domain.models import Role
from memory_mesh.embeddings import Embedder
from memory_mesh.queue.sqs import job_body
from memory_mesh.runtime import Runtime
from memory_mesh.services.messages import MessageInput
from tests.conftest import JWT_SECRET, RedisServer, make_settings, make_tenant
from tests.infra.lambda_support import (
    AWS_TEST_ENV,
    FUNCTIONS,
    ROOT,
    http_event,
    lambda_context,
    load_event,
    load_function,
)

CHILD = r"""
import importlib.util, json, logging, sys
event_path, function_dir = sys.argv[1:3]
spec = importlib.util.spec_from_file_location("app", function_dir + "/app.py")
app = importlib.util.module_from_spec(spec)
spec.loader.exec_module(app)
from memory_mesh.cloud.sqs_poller import LocalLambdaContext
with open(event_path) as f:
    event = json.load(f)
response = app.lambda_handler(event, LocalLambdaContext(function_name="memory"))
logging.getLogger("memory_mesh.made_after_start").warning("probe warning %s", "mm_" + "x" * 30)
logging.getLogger("memory_mesh.made_after_start").info("probe info below the level")
print("CHILD-RESULT " + json.dumps({"status": response["statusCode"]}))
"""


def _child_env(database_url: str, redis_url: str, daemon_port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MEMORY_", "POWERTOOLS_"))}
    env.update(AWS_TEST_ENV)
    env.update(
        {
            # what the Lambda runtime sets
            "AWS_LAMBDA_FUNCTION_NAME": "memory",
            "LAMBDA_TASK_ROOT": str(FUNCTIONS / "memory"),
            "_X_AMZN_TRACE_ID": "Root=1-65f1c2a4-2b3c4d5e6f7a8b9c0d1e2f3a;"
            "Parent=53995c3f42cd8ad8;Sampled=1",
            "AWS_XRAY_DAEMON_ADDRESS": f"127.0.0.1:{daemon_port}",
            "AWS_XRAY_CONTEXT_MISSING": "LOG_ERROR",
            "POWERTOOLS_TRACER_CAPTURE_RESPONSE": "false",
            # what the template sets, pointed at the test's datastores
            "MEMORY_ENVIRONMENT": "test",
            "MEMORY_LOG_LEVEL": "WARNING",
            "MEMORY_DATABASE_URL": database_url,
            "MEMORY_AUTO_MIGRATE": "false",
            "MEMORY_REDIS_URL": redis_url,
            "MEMORY_JWT_SECRET_KEY": JWT_SECRET,
            "MEMORY_EMBEDDING_PROVIDER": "deterministic",
            "MEMORY_METRICS_BACKEND": "emf",
            "PYTHONPATH": str(ROOT),
        }
    )
    return env


def _datagrams(sock: socket.socket) -> list[dict[str, Any]]:
    """The trace documents the child sent to the stand-in daemon."""
    documents = []
    sock.settimeout(0.5)
    while True:
        try:
            packet = sock.recv(65536).decode()
        except TimeoutError:
            return documents
        _header, _, body = packet.partition("\n")
        documents.append(json.loads(body))


def _walk(document: dict[str, Any]) -> list[dict[str, Any]]:
    found = [document]
    for child in document.get("subsegments", []):
        found += _walk(child)
    return found


async def test_a_search_in_lambda_logs_powertools_json_and_traces_sql_embedding_and_redis(
    runtime: Runtime, database_url: str, redis_server: RedisServer, tmp_path: Path
) -> None:
    tenant, key = await make_tenant(runtime, scopes=("read",))
    event = http_event(
        "http_memory_search",
        method="GET",
        path="/v1/memory/search",
        query={"tenant_id": tenant, "query": "boiler service"},
        api_key=key,
    )
    event_path = tmp_path / "event.json"
    event_path.write_text(json.dumps(event))
    daemon = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    daemon.bind(("127.0.0.1", 0))
    try:
        child = subprocess.run(
            [sys.executable, "-c", CHILD, str(event_path), str(FUNCTIONS / "memory")],
            env=_child_env(database_url, redis_server.url, daemon.getsockname()[1]),
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        documents = _datagrams(daemon)
    finally:
        daemon.close()
    assert child.returncode == 0, child.stderr[-3000:]
    lines = child.stdout.splitlines()
    (result,) = [json.loads(x.split(" ", 1)[1]) for x in lines if x.startswith("CHILD-RESULT ")]
    assert result["status"] == 200, child.stdout[-3000:]

    # logs: the service's records are Powertools JSON objects, at MEMORY_LOG_LEVEL
    records = [json.loads(x) for x in lines if x.startswith("{") and '"level"' in x]
    probe = [r for r in records if r.get("name") == "memory_mesh.made_after_start"]
    assert [r["level"] for r in probe] == ["WARNING"]  # INFO is below MEMORY_LOG_LEVEL
    assert probe[0]["service"] == "memory-mesh"
    assert "mm_xxx" not in probe[0]["message"] and "[redacted]" in probe[0]["message"]
    assert "probe info" not in child.stdout and "probe info" not in child.stderr

    # X-Ray: subsegments named for SQL, the embedding call and Redis, under the invocation
    names = {d["name"] for doc in documents for d in _walk(doc)}
    assert {"postgres", "embedding", "redis"} <= names, names
    embedding = next(d for doc in documents for d in _walk(doc) if d["name"] == "embedding")
    assert embedding["annotations"] == {"provider": "deterministic", "texts": 1}
    assert all(
        d["trace_id"] == "1-65f1c2a4-2b3c4d5e6f7a8b9c0d1e2f3a" for d in documents if "trace_id" in d
    )
    # no response body in the trace (POWERTOOLS_TRACER_CAPTURE_RESPONSE=false)
    assert "boiler" not in json.dumps(documents)


def _emf_counts(stdout: str) -> dict[str, list[float]]:
    """Metric name -> the values emitted, over every EMF line on stdout."""
    values: dict[str, list[float]] = {}
    for line in stdout.splitlines():
        if '"_aws"' not in line:
            continue
        blob = json.loads(line)
        for directive in blob["_aws"]["CloudWatchMetrics"]:
            for metric in directive["Metrics"]:
                value = blob[metric["Name"]]
                values.setdefault(metric["Name"], []).extend(
                    value if isinstance(value, list) else [value]
                )
    return values


async def test_an_embedding_job_emits_each_embedding_metric_once(
    monkeypatch: pytest.MonkeyPatch,
    database_url: str,
    local_embedder: Embedder,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # GIVEN a message stored but not yet embedded (async mode, no worker)
    pending = await Runtime.start(
        make_settings(database_url, embedding_mode="async"),
        embedder=local_embedder,
        run_worker=False,
    )
    try:
        tenant, _key = await make_tenant(pending)
        conversation, _ = await pending.conversations.create(tenant, title=None, metadata={})
        message, _ = await pending.messages.create(
            tenant,
            MessageInput(conversation_id=conversation.id, role=Role.user, content="ferns"),
        )
    finally:
        await pending.stop()
    worker = load_function(
        "embed_worker",
        monkeypatch,
        {
            "MEMORY_ENVIRONMENT": "test",
            "MEMORY_DATABASE_URL": database_url,
            "MEMORY_AUTO_MIGRATE": "false",
            "MEMORY_JWT_SECRET_KEY": JWT_SECRET,
            "MEMORY_METRICS_BACKEND": "emf",
        },
    )
    worker.container.embedder = local_embedder
    event = load_event("sqs_receive_message")
    event["Records"][0]["body"] = job_body(tenant, [message.id])
    event["Records"][0]["messageId"] = str(uuid.uuid4())
    capsys.readouterr()
    try:
        # WHEN the SQS function handles the job (in a thread, as Lambda's runtime calls it)
        result = await anyio.to_thread.run_sync(
            worker.lambda_handler, event, lambda_context("embed_worker")
        )
    finally:
        await anyio.to_thread.run_sync(worker.container.close)
    assert result == {"batchItemFailures": []}
    # THEN each embedding metric is on exactly one EMF line, with the real count
    emitted = _emf_counts(capsys.readouterr().out)
    assert emitted["EmbeddingJobs"] == [1]
    assert emitted["MessagesEmbedded"] == [1]
    assert emitted["EmbeddingRecordsFailed"] == [0]  # the adapter's own: SQS records
