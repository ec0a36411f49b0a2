"""Metrics: /metrics scraped after real traffic shows each count; every runtime keeps its
own registry; the Lambda backend writes CloudWatch EMF lines."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any
from uuid import UUID

import numpy as np
import pytest
from fastapi import FastAPI
from prometheus_client.parser import text_string_to_metric_families
from pydantic import SecretStr

from memory_mesh.embeddings import Embedder, EmbedderInfo, EmbeddingUnavailable
from memory_mesh.http.app import create_app
from memory_mesh.observability.emf import EmfMetrics
from memory_mesh.observability.metrics import NullMetrics, build_metrics
from memory_mesh.observability.prometheus import PrometheusMetrics
from memory_mesh.runtime import Runtime
from tests.conftest import (
    JWT_SECRET,
    PASSWORD,
    RedisServer,
    http_client,
    make_settings,
    make_tenant,
)
from tests.infra.lambda_support import http_event, lambda_context, load_function

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def _samples(text: str) -> Samples:
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def _value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def _app(runtime: Runtime) -> FastAPI:
    app = create_app(runtime.settings)
    app.state.runtime = runtime
    return app


@pytest.fixture
async def metered(
    database_url: str, local_embedder: Embedder, redis_server: RedisServer
) -> AsyncIterator[Runtime]:
    """A runtime of its own (so its counts start at zero) with a small tenant limit."""
    settings = make_settings(
        database_url, redis_url=redis_server.url, tenant_rate_limit="12/minute"
    )
    runtime = await Runtime.start(settings, embedder=local_embedder, run_worker=False)
    yield runtime
    await runtime.stop()


async def test_metrics_after_traffic_show_http_ingestion_search_embedding_limit_and_auth(
    metered: Runtime,
) -> None:
    # GIVEN a tenant with an API key, and a user who can sign in
    tenant, key = await make_tenant(metered)
    app = _app(metered)
    async with http_client(app, key) as http, http_client(app) as anonymous:
        # WHEN messages are stored (one, then a batch of two) and searched two ways
        conv = (await http.post("/v1/conversations", json={"title": "m"})).json()["id"]
        one = await http.post(
            "/v1/messages",
            json={"conversation_id": conv, "role": "user", "content": "I am allergic to nuts"},
        )
        assert one.status_code == 201, one.text
        batch = await http.post(
            "/v1/messages/batch",
            json={
                "items": [
                    {"conversation_id": conv, "role": "user", "content": "My cat is Miso"},
                    {"conversation_id": conv, "role": "assistant", "content": "Noted, Miso"},
                ]
            },
        )
        assert batch.status_code in (200, 201, 207), batch.text
        got = await http.get(f"/v1/messages/{one.json()['id']}")
        assert got.status_code == 200
        hybrid = await http.get("/v1/memory/search", params={"query": "food to avoid"})
        assert hybrid.status_code == 200, hybrid.text
        keyword = await http.post("/v1/memory/search", json={"query": "Miso", "mode": "keyword"})
        assert keyword.status_code == 200, keyword.text
        # ... a user signs in, fails once, and uses the token; bad credentials are refused
        email = f"{tenant}@example.com"
        bad = await anonymous.post("/v1/auth/login", json={"email": email, "password": "nope"})
        assert bad.status_code == 401
        login = await anonymous.post("/v1/auth/login", json={"email": email, "password": PASSWORD})
        assert login.status_code == 200, login.text
        token = login.json()["access_token"]
        me = await anonymous.get("/v1/auth/me", headers={"authorization": f"Bearer {token}"})
        assert me.status_code == 200
        forged = await anonymous.get(
            "/v1/auth/me", headers={"authorization": "Bearer not-a-real-token"}
        )
        assert forged.status_code == 401
        wrong_key = await anonymous.get("/v1/conversations", headers={"x-api-key": "mm_wrong"})
        assert wrong_key.status_code == 401
        # ... and the tenant goes over its limit of 12 requests a minute
        codes = [(await http.get("/v1/conversations")).status_code for _ in range(8)]
        assert codes.count(429) >= 2, codes
        # THEN one scrape shows every count
        scrape = await anonymous.get("/metrics")
    assert scrape.status_code == 200
    assert scrape.headers["content-type"].startswith("text/plain")
    s = _samples(scrape.text)
    requests = "memory_mesh_http_requests_total"
    assert _value(s, requests, method="POST", route="/v1/messages", status="201") == 1
    assert _value(s, requests, method="POST", route="/v1/conversations", status="201") == 1
    assert _value(s, requests, method="GET", route="/v1/messages/{message_id}", status="200") == 1
    assert _value(s, requests, method="GET", route="/v1/conversations", status="429") >= 2
    assert (
        _value(
            s,
            "memory_mesh_http_request_duration_seconds_count",
            method="GET",
            route="/v1/memory/search",
            status="200",
        )
        == 1
    )
    # route templates only: no raw id in any label
    assert one.json()["id"] not in scrape.text and conv not in scrape.text
    assert _value(s, "memory_mesh_messages_ingested_total", mode="inline") == 3
    assert (
        _value(s, "memory_mesh_searches_total", mode="hybrid", plan="exact", degraded="false") == 1
    )
    assert (
        _value(s, "memory_mesh_searches_total", mode="keyword", plan="exact", degraded="false") == 1
    )
    assert _value(s, "memory_mesh_search_duration_seconds_count", mode="hybrid", plan="exact") == 1
    assert _value(s, "memory_mesh_embedding_messages_total", outcome="embedded") == 3
    assert _value(s, "memory_mesh_embedding_messages_total", outcome="failed") == 0
    assert _value(s, "memory_mesh_embedding_job_duration_seconds_count") == 2  # one + batch
    assert _value(s, "memory_mesh_rate_limit_hits_total", limit="tenant") == codes.count(429)
    auth = "memory_mesh_auth_attempts_total"
    assert _value(s, auth, method="password", outcome="success") == 1
    assert _value(s, auth, method="password", outcome="failure") == 1
    assert _value(s, auth, method="access_token", outcome="success") == 1
    assert _value(s, auth, method="access_token", outcome="refused") == 1
    assert _value(s, auth, method="api_key", outcome="refused") == 1
    assert _value(s, auth, method="api_key", outcome="success") >= 6
    assert _value(s, "memory_mesh_websocket_connections") == 0


class _DownEmbedder:
    """Fails every call like a provider outage."""

    def __init__(self, inner: Embedder) -> None:
        self.inner = inner

    @property
    def info(self) -> EmbedderInfo:
        return self.inner.info

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray:
        raise EmbeddingUnavailable("provider is down (injected)")

    def embed_query(self, text: str) -> np.ndarray:
        raise EmbeddingUnavailable("provider is down (injected)")


async def test_embedding_failures_and_give_ups_are_counted(
    database_url: str, local_embedder: Embedder
) -> None:
    metrics = PrometheusMetrics()
    settings = make_settings(database_url, embedding_max_attempts=2)
    runtime = await Runtime.start(
        settings, embedder=_DownEmbedder(local_embedder), run_worker=False, metrics=metrics
    )
    try:
        _tenant, key = await make_tenant(runtime)
        async with http_client(_app(runtime), key) as http:
            conv = (await http.post("/v1/conversations", json={"title": "f"})).json()["id"]
            stored = await http.post(
                "/v1/messages", json={"conversation_id": conv, "role": "user", "content": "hi"}
            )
            assert stored.status_code == 201  # stored even though embedding failed
            # the second attempt spends the attempts (only this message: the database is
            # shared with other tests, whose pending rows must not meet this embedder)
            await runtime.pipeline.embed_ids([UUID(stored.json()["id"])])
            degraded = await http.get("/v1/memory/search", params={"query": "hi"})
            assert degraded.json()["degraded"] is True
    finally:
        await runtime.stop()
    s = _samples(metrics.render()[0].decode())
    assert _value(s, "memory_mesh_embedding_messages_total", outcome="failed") == 2
    assert _value(s, "memory_mesh_embedding_messages_total", outcome="gave_up") == 1
    assert _value(s, "memory_mesh_embedding_messages_total", outcome="embedded") == 0
    assert (
        _value(s, "memory_mesh_searches_total", mode="keyword", plan="exact", degraded="true") == 1
    )


def test_each_recorder_has_its_own_registry() -> None:
    first, second = PrometheusMetrics(), PrometheusMetrics()  # no "duplicated timeseries"
    first.rate_limit_hit(limit="caller")
    first.websocket_connections.inc()
    first.websocket_connections.inc()
    first.websocket_connections.dec()
    s1 = _samples(first.render()[0].decode())
    s2 = _samples(second.render()[0].decode())
    assert _value(s1, "memory_mesh_rate_limit_hits_total", limit="caller") == 1
    assert _value(s2, "memory_mesh_rate_limit_hits_total", limit="caller") == 0
    assert _value(s1, "memory_mesh_websocket_connections") == 1
    first.websocket_connections.set(7)
    assert _value(_samples(first.render()[0].decode()), "memory_mesh_websocket_connections") == 7


async def test_the_metrics_token_guards_the_scrape(metered: Runtime) -> None:
    settings = metered.settings.model_copy(update={"metrics_token": SecretStr("scrape-secret-123")})
    app = create_app(settings)
    app.state.runtime = metered
    async with http_client(app) as http:
        assert (await http.get("/metrics")).status_code == 401
        wrong = await http.get("/metrics", headers={"authorization": "Bearer nope"})
        assert wrong.status_code == 401
        ok = await http.get("/metrics", headers={"authorization": "Bearer scrape-secret-123"})
        assert ok.status_code == 200 and "memory_mesh_http_requests_total" in ok.text


async def test_lambda_areas_serve_no_metrics_route(metered: Runtime) -> None:
    app = create_app(metered.settings, areas=["memory"])
    app.state.runtime = metered
    async with http_client(app) as http:
        assert (await http.get("/metrics")).status_code == 404


def _emf_lines(out: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in out.splitlines() if line.startswith("{")]


def test_the_emf_backend_writes_cloudwatch_embedded_metric_lines(
    capsys: pytest.CaptureFixture[str],
) -> None:
    emf = EmfMetrics(namespace="MemoryMeshTest", service="memory")
    emf.http_request(method="GET", route="/v1/memory/search", status=200, seconds=0.0125)
    emf.search(mode="hybrid", plan="exact", seconds=0.004, degraded=True)
    emf.auth_attempt(method="api_key", outcome="refused")
    emf.websocket_connections.inc()
    lines = _emf_lines(capsys.readouterr().out)
    assert len(lines) == 4
    http_line = lines[0]
    directive = http_line["_aws"]["CloudWatchMetrics"][0]
    assert directive["Namespace"] == "MemoryMeshTest"
    assert set(directive["Dimensions"][0]) == {"Route", "Method", "StatusClass", "service"}
    assert {m["Name"] for m in directive["Metrics"]} == {"HttpRequests", "HttpLatency"}
    assert http_line["Route"] == "/v1/memory/search" and http_line["StatusClass"] == "2xx"
    # Powertools writes each value as a list (EMF allows several values a line)
    assert http_line["HttpRequests"] == [1.0] and http_line["HttpLatency"] == [12.5]
    assert lines[1]["SearchesDegraded"] == [1.0] and lines[1]["Plan"] == "exact"
    assert lines[2]["Outcome"] == "refused" and lines[2]["AuthAttempts"] == [1.0]
    assert lines[3]["WebSocketConnects"] == [1.0]


def test_the_backend_is_chosen_by_setting(database_url: str) -> None:
    assert isinstance(build_metrics(make_settings(database_url)), PrometheusMetrics)
    emf = build_metrics(make_settings(database_url, metrics_backend="emf"))
    assert isinstance(emf, EmfMetrics) and emf.namespace == "MemoryMesh"
    off = build_metrics(make_settings(database_url, metrics_backend="none"))
    assert isinstance(off, NullMetrics)


async def test_a_runtime_started_without_a_recorder_uses_the_configured_one(
    metered: Runtime,
) -> None:
    assert isinstance(metered.metrics, PrometheusMetrics)
    assert metered.search.metrics is metered.metrics
    assert metered.pipeline.metrics is metered.metrics
    assert metered.auth.metrics is metered.metrics
    assert metered.messages.metrics is metered.metrics


async def test_unknown_paths_are_counted_under_one_unmatched_route(metered: Runtime) -> None:
    async with http_client(_app(metered)) as http:
        for n in range(3):
            assert (await http.get(f"/v1/no/such/path/{n}")).status_code == 404
        scrape = (await http.get("/metrics")).text
    s = _samples(scrape)
    assert (
        _value(s, "memory_mesh_http_requests_total", method="GET", route="unmatched", status="404")
        == 3
    )
    assert "/v1/no/such/path" not in scrape


def test_the_dashboard_and_alerts_query_only_metrics_that_exist() -> None:
    root = Path(__file__).resolve().parents[2] / "infra" / "observability"
    recorder = PrometheusMetrics()
    recorder.http_request(method="GET", route="/x", status=200, seconds=0.1)
    recorder.search(mode="hybrid", plan="exact", seconds=0.1, degraded=False)
    recorder.embedding_job(seconds=1, embedded=1, failed=0, gave_up=0)
    recorder.messages_ingested(mode="inline", count=1)
    exposed = {name for name, _ in _samples(recorder.render()[0].decode())}
    for document in ("grafana-dashboard.json", "alerts.yml"):
        text = (root / document).read_text()
        used = set(re.findall(r"\bmemory_mesh_[a-z_]+", text))
        assert used and used <= exposed, (document, used - exposed)
    dashboard = json.loads((root / "grafana-dashboard.json").read_text())
    assert dashboard["uid"] == "memory-mesh" and dashboard["panels"]
    assert "/metrics" in (root / "prometheus.yml").read_text()


def test_a_lambda_function_with_the_emf_backend_writes_request_metrics(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    database_url: str,
    local_embedder: Embedder,
) -> None:
    # GIVEN the real admin function, configured the way template.yaml would configure it
    env = {
        "MEMORY_ENVIRONMENT": "test",
        "MEMORY_DATABASE_URL": database_url,
        "MEMORY_AUTO_MIGRATE": "false",
        "MEMORY_JWT_SECRET_KEY": JWT_SECRET,
        "MEMORY_DB_POOL_MAX_SIZE": "2",
        "MEMORY_METRICS_BACKEND": "emf",
    }
    function = load_function("admin", monkeypatch, env)
    function.container.embedder = local_embedder
    try:
        # WHEN API Gateway invokes it
        event = http_event("http_admin_health", method="GET", path="/v1/admin/health")
        response = function.lambda_handler(event, lambda_context("admin"))
    finally:
        function.container.close()
    # THEN its stdout carries an EMF line for the request, by route template
    assert response["statusCode"] == 200
    lines = _emf_lines(capsys.readouterr().out)
    [http_line] = [x for x in lines if "HttpRequests" in x]
    assert http_line["Route"] == "/v1/admin/health" and http_line["StatusClass"] == "2xx"
    assert http_line["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "MemoryMesh"


def test_the_websocket_gauge_follows_the_hub(runtime: Runtime) -> None:
    from memory_mesh.realtime.hub import Subscriber

    def gauge() -> float:
        value = runtime.metrics.registry.get_sample_value("memory_mesh_websocket_connections")  # type: ignore[attr-defined]
        return float(value or 0)

    before = gauge()
    subscriber = Subscriber("acme", None, 4)
    runtime.hub.add(subscriber)
    assert gauge() == before + 1
    runtime.hub.remove(subscriber)
    assert gauge() == before
