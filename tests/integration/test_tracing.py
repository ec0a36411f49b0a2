"""Tracing: with MEMORY_OTLP_ENDPOINT set, each request is a server span (named by its
route template) with a child span per SQL statement; without it, OpenTelemetry's SDK is
never imported. Spans go to an in-memory exporter instead of a network collector."""

from __future__ import annotations

import io
import json
import logging
import subprocess
import sys

from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from memory_mesh.embeddings import Embedder
from memory_mesh.http.app import create_app
from memory_mesh.observability.logs import JsonFormatter
from memory_mesh.observability.tracing import traces_url
from memory_mesh.runtime import Runtime
from tests.conftest import http_client, make_settings, make_tenant


async def test_requests_and_their_sql_become_spans_when_an_otlp_endpoint_is_set(
    database_url: str, local_embedder: Embedder
) -> None:
    exporter = InMemorySpanExporter()
    settings = make_settings(database_url, otlp_endpoint="http://127.0.0.1:4318")
    app = create_app(settings, span_exporter=exporter)
    # the pool opens after tracing is installed, so its connections are traced
    runtime = await Runtime.start(settings, embedder=local_embedder, run_worker=False)
    app.state.runtime = runtime
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setFormatter(JsonFormatter())
    access_log = logging.getLogger("memory_mesh.access")
    access_log.addHandler(handler)
    level = access_log.level
    access_log.setLevel(logging.INFO)
    try:
        _tenant, key = await make_tenant(runtime)
        exporter.clear()  # only the request's spans from here
        async with http_client(app, key) as http:
            response = await http.get(
                "/v1/conversations",
                headers={"traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"},
            )
            assert response.status_code == 200, response.text
            assert (await http.get("/metrics")).status_code == 200  # not traced
    finally:
        access_log.removeHandler(handler)
        access_log.setLevel(level)
        await runtime.stop()
        app.state.tracing.shutdown()
    spans = exporter.get_finished_spans()
    servers = [s for s in spans if s.kind is SpanKind.SERVER]
    assert [s.name for s in servers] == ["GET /v1/conversations"]
    server = servers[0]
    assert server.attributes is not None
    assert server.attributes.get("http.route") == "/v1/conversations"
    # the caller's trace is continued
    assert format(server.context.trace_id, "032x") == "0af7651916cd43dd8448eb211c80319c"
    sql = [s for s in spans if s.kind is SpanKind.CLIENT]
    assert sql, [s.name for s in spans]
    assert all(s.context.trace_id == server.context.trace_id for s in sql)
    assert server.resource.attributes["service.name"] == "memory-mesh"
    # the access line names the trace
    lines = [json.loads(x) for x in buffer.getvalue().splitlines()]
    [line] = [x for x in lines if x["route"] == "/v1/conversations"]
    assert line["trace_id"] == "0af7651916cd43dd8448eb211c80319c"
    assert line["span_id"] == format(server.context.span_id, "016x")


def test_without_an_endpoint_no_opentelemetry_sdk_is_imported(database_url: str) -> None:
    code = (
        "import sys\n"
        "from memory_mesh.config import Settings\n"
        "from memory_mesh.http.app import create_app\n"
        f"create_app(Settings(database_url={database_url!r}))\n"
        # the tracing SDK and instrumentation stay out (redis-py imports the OTel *metrics*
        # SDK by itself whenever it is installed: not ours to keep out)
        "print(sorted(m for m in sys.modules if m.startswith(('opentelemetry.sdk.trace',"
        " 'opentelemetry.instrumentation', 'memory_mesh.observability.tracing'))))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    assert out.stdout.strip() == "[]", out.stdout + out.stderr


def test_the_endpoint_gets_the_otlp_traces_path() -> None:
    assert traces_url("http://collector:4318") == "http://collector:4318/v1/traces"
    assert traces_url("http://collector:4318/") == "http://collector:4318/v1/traces"
    assert traces_url("https://x.example/v1/traces") == "https://x.example/v1/traces"
