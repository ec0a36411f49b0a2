"""The memory (search) function never loads numpy: not at import, not when it embeds a
query and binds it to the search statement. numpy is ~85 modules of its cold start
(bench/results/cold_start.md), and searching needs none of it.

Each case imports ``functions/memory/app.py`` in a fresh interpreter (numpy is installed
there, so any import of it shows) and invokes its handler with the sample API Gateway
event, against the real embedded PostgreSQL, with a provider the function can use in
Lambda: the deterministic one, and Bedrock reached through boto3 at a local HTTP endpoint
that answers as Titan V2 does.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from memory_mesh.domain.models import Role
from memory_mesh.embeddings.deterministic import DeterministicEmbedder
from memory_mesh.runtime import Runtime
from memory_mesh.services.messages import MessageInput
from tests.conftest import JWT_SECRET, make_settings, make_tenant
from tests.infra.lambda_support import FUNCTIONS, http_event

PROBE = r"""
import contextlib, importlib.util, io, json, sys
app_path, event_path = sys.argv[1:3]
spec = importlib.util.spec_from_file_location("app", app_path)
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
after_import = "numpy" in sys.modules


class Context:
    function_name = "memory"
    function_version = "$LATEST"
    memory_limit_in_mb = 1024
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:memory"
    aws_request_id = "c6af9ac6-7b61-11e6-9a41-93e812345678"
    log_group_name = "/aws/lambda/memory"
    log_stream_name = "memory"

    def get_remaining_time_in_millis(self):
        return 30000


answers = []
with open(event_path) as f:
    for event in json.load(f):
        with contextlib.redirect_stdout(io.StringIO()):  # Powertools' log lines
            answers.append(module.lambda_handler(event, Context()))
print("PROBE-RESULT " + json.dumps({
    "numpy_after_import": after_import,
    "numpy_after_search": "numpy" in sys.modules,
    "answers": answers,
}))
"""

TITAN_DIMENSIONS = 256


class TitanEndpoint:
    """A local HTTP endpoint answering ``InvokeModel`` as Titan Text Embeddings V2 does
    (a unit vector of the requested size, the same for the same text)."""

    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                endpoint.bodies.append(body)
                vector = DeterministicEmbedder(body["dimensions"]).embed_query(body["inputText"])
                answer = json.dumps(
                    {"embedding": vector.tolist(), "inputTextTokenCount": 3}
                ).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def titan() -> Iterator[TitanEndpoint]:
    endpoint = TitanEndpoint()
    yield endpoint
    endpoint.stop()


async def _tenant_with_a_message(database_url: str) -> tuple[str, str, str]:
    """A new tenant, its API key, and the id of a message of it embedded (inline) by the
    deterministic embedder."""
    settings = make_settings(database_url, embedding_provider="deterministic")
    writer = await Runtime.start(settings, embedder=DeterministicEmbedder(384), run_worker=False)
    try:
        tenant, key = await make_tenant(writer)
        conversation, _ = await writer.conversations.create(tenant, title="c", metadata={})
        message, _ = await writer.messages.create(
            tenant,
            MessageInput(
                conversation_id=conversation.id,
                role=Role.user,
                content="My daughter is allergic to peanuts and sesame.",
            ),
        )
    finally:
        await writer.stop()
    assert message.embedding_status.value == "ready"
    return tenant, key, str(message.id)


def _invoke_memory_function(
    env: dict[str, str], events: list[dict[str, Any]], tmp_path: Path
) -> dict[str, Any]:
    events_path = tmp_path / "events.json"
    events_path.write_text(json.dumps(events))
    result = subprocess.run(
        [sys.executable, "-c", PROBE, str(FUNCTIONS / "memory" / "app.py"), str(events_path)],
        capture_output=True,
        text=True,
        check=False,
        env={
            "PATH": os.environ["PATH"],
            "HOME": os.environ.get("HOME", "/root"),
            "LANG": "C.UTF-8",
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_REGION": "us-east-1",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_LAMBDA_FUNCTION_NAME": "memory",
            "POWERTOOLS_SERVICE_NAME": "memory-mesh",
            "POWERTOOLS_METRICS_NAMESPACE": "MemoryMesh",
            "POWERTOOLS_TRACE_DISABLED": "true",
            "MEMORY_ENVIRONMENT": "test",
            "MEMORY_JWT_SECRET_KEY": JWT_SECRET,
            "MEMORY_AUTO_MIGRATE": "false",
            "MEMORY_EMBEDDING_MODE": "async",
            "MEMORY_METRICS_BACKEND": "emf",
            "MEMORY_DB_POOL_MAX_SIZE": "2",
            "MEMORY_AWS_REGION": "us-east-1",
            **env,
        },
        cwd=tmp_path,
        timeout=120,
    )
    lines = [ln for ln in result.stdout.splitlines() if ln.startswith("PROBE-RESULT ")]
    assert lines, result.stdout[-3000:] + result.stderr[-3000:]
    out: dict[str, Any] = json.loads(lines[-1].removeprefix("PROBE-RESULT "))
    return out


def _searches(tenant: str, key: str, query: str) -> list[dict[str, Any]]:
    """The sample search event, once per mode that embeds the query."""
    return [
        http_event(
            "http_memory_search",
            method="GET",
            path="/v1/memory/search",
            api_key=key,
            query={"tenant_id": tenant, "query": query, "mode": mode, "top_k": "5"},
        )
        for mode in ("vector", "hybrid")
    ]


async def test_the_memory_function_searches_by_meaning_without_importing_numpy(
    database_url: str, tmp_path: Path
) -> None:
    # GIVEN a message stored with deterministic (hash) vectors
    tenant, key, stored = await _tenant_with_a_message(database_url)

    # WHEN a cold memory function, on the deterministic provider, answers two searches
    out = _invoke_memory_function(
        {
            "MEMORY_DATABASE_URL": database_url,
            "MEMORY_EMBEDDING_PROVIDER": "deterministic",
            "MEMORY_EMBEDDING_DIMENSIONS": "384",
        },
        _searches(tenant, key, "allergic to peanuts"),
        tmp_path,
    )

    # THEN both find the message by its vector, and numpy was never imported
    for answer in out["answers"]:
        assert answer["statusCode"] == 200, answer
        (hit,) = json.loads(answer["body"])["results"]
        assert hit["message"]["id"] == stored
        assert hit["scores"]["similarity"] > 0.5
    assert not out["numpy_after_import"]
    assert not out["numpy_after_search"], "numpy loaded by a search"


async def test_the_memory_function_on_bedrock_searches_without_importing_numpy(
    database_url: str, titan: TitanEndpoint, tmp_path: Path
) -> None:
    # GIVEN a tenant with a message (embedded by another model: keyword hits only)
    tenant, key, stored = await _tenant_with_a_message(database_url)

    # WHEN a cold memory function on Bedrock (boto3 -> a Titan-shaped endpoint) searches
    out = _invoke_memory_function(
        {
            "MEMORY_DATABASE_URL": database_url,
            "MEMORY_EMBEDDING_PROVIDER": "bedrock",
            "MEMORY_EMBEDDING_DIMENSIONS": str(TITAN_DIMENSIONS),
            "AWS_ENDPOINT_URL_BEDROCK_RUNTIME": titan.url,
        },
        _searches(tenant, key, "allergic to peanuts"),
        tmp_path,
    )

    # THEN the query was embedded by Bedrock once (then cached) and the searches answered
    assert [b["inputText"] for b in titan.bodies] == ["allergic to peanuts"]
    assert titan.bodies[0]["dimensions"] == TITAN_DIMENSIONS
    vector_answer, hybrid_answer = out["answers"]
    assert vector_answer["statusCode"] == 200, vector_answer
    assert json.loads(vector_answer["body"])["results"] == []  # no vector of this model
    assert hybrid_answer["statusCode"] == 200, hybrid_answer
    (hit,) = json.loads(hybrid_answer["body"])["results"]
    assert hit["message"]["id"] == stored and hit["scores"]["similarity"] is None
    # AND numpy was never imported
    assert not out["numpy_after_import"]
    assert not out["numpy_after_search"], "numpy loaded by a search"
