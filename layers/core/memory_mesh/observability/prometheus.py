"""The Prometheus backend of :class:`~memory_mesh.observability.metrics.MetricsRecorder`.

Its own module so that only the local server, which chooses it, imports
``prometheus_client``; the Lambda functions (EMF backend) never load it.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest

from memory_mesh.observability.metrics import (
    AUTH_SERIES,
    EMBEDDING_OUTCOMES,
    RATE_LIMIT_KINDS,
    AuthMethod,
    AuthOutcome,
    GaugeHandle,
    IngestMode,
    RateLimitKind,
)

_FAST_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
_JOB_BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0)


class PrometheusMetrics:
    """The metrics as Prometheus collectors in their own :class:`CollectorRegistry`.

    Names (all prefixed ``memory_mesh_``): ``http_requests_total`` and
    ``http_request_duration_seconds`` {method, route, status}; ``messages_ingested_total``
    {mode}; ``searches_total`` {mode, plan, degraded} and ``search_duration_seconds``
    {mode, plan}; ``embedding_job_duration_seconds``; ``embedding_messages_total``
    {outcome}; ``rate_limit_hits_total`` {limit}; ``auth_attempts_total`` {method,
    outcome}; ``websocket_connections``.
    """

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry if registry is not None else CollectorRegistry()
        ns, reg = "memory_mesh", self.registry
        self.http_requests = Counter(
            "http_requests",
            "HTTP requests answered, by method, route template and status.",
            ["method", "route", "status"],
            namespace=ns,
            registry=reg,
        )
        self.http_duration = Histogram(
            "http_request_duration_seconds",
            "Time to answer an HTTP request (to the last body byte), in seconds.",
            ["method", "route", "status"],
            namespace=ns,
            registry=reg,
            buckets=_FAST_BUCKETS,
        )
        self.ingested = Counter(
            "messages_ingested",
            "New messages stored, by embedding mode (inline or async).",
            ["mode"],
            namespace=ns,
            registry=reg,
        )
        self.searches = Counter(
            "searches",
            "Searches done, by the mode that ran, the plan, and whether hybrid degraded.",
            ["mode", "plan", "degraded"],
            namespace=ns,
            registry=reg,
        )
        self.search_duration = Histogram(
            "search_duration_seconds",
            "Time of one search (query embedding + SQL), in seconds.",
            ["mode", "plan"],
            namespace=ns,
            registry=reg,
            buckets=_FAST_BUCKETS,
        )
        self.embedding_duration = Histogram(
            "embedding_job_duration_seconds",
            "Time to embed one claimed set of messages and write the vectors, in seconds.",
            namespace=ns,
            registry=reg,
            buckets=_JOB_BUCKETS,
        )
        self.embedding_messages = Counter(
            "embedding_messages",
            "Messages through the embedding pipeline: embedded, failed (retried later), "
            "gave_up (attempts spent, now failed).",
            ["outcome"],
            namespace=ns,
            registry=reg,
        )
        self.rate_limit_hits = Counter(
            "rate_limit_hits",
            "Requests refused with 429, by limit: caller, client (address), tenant, login.",
            ["limit"],
            namespace=ns,
            registry=reg,
        )
        self.auth_attempts = Counter(
            "auth_attempts",
            "Credentials presented, by method and outcome.",
            ["method", "outcome"],
            namespace=ns,
            registry=reg,
        )
        self._websocket_connections = Gauge(
            "websocket_connections",
            "Open WebSocket connections on this process.",
            namespace=ns,
            registry=reg,
        )
        # series that exist from the start, so rate() and alerts see a 0 before the first event
        for outcome in EMBEDDING_OUTCOMES:
            self.embedding_messages.labels(outcome)
        for kind in RATE_LIMIT_KINDS:
            self.rate_limit_hits.labels(kind)
        for method, result in AUTH_SERIES:
            self.auth_attempts.labels(method, result)

    @property
    def websocket_connections(self) -> GaugeHandle:
        return self._websocket_connections

    def http_request(self, *, method: str, route: str, status: int, seconds: float) -> None:
        self.http_requests.labels(method, route, str(status)).inc()
        self.http_duration.labels(method, route, str(status)).observe(seconds)

    def messages_ingested(self, *, mode: IngestMode, count: int) -> None:
        if count > 0:
            self.ingested.labels(mode).inc(count)

    def search(self, *, mode: str, plan: str, seconds: float, degraded: bool) -> None:
        self.searches.labels(mode, plan, "true" if degraded else "false").inc()
        self.search_duration.labels(mode, plan).observe(seconds)

    def embedding_job(self, *, seconds: float, embedded: int, failed: int, gave_up: int) -> None:
        self.embedding_duration.observe(seconds)
        for outcome, count in zip(EMBEDDING_OUTCOMES, (embedded, failed, gave_up), strict=True):
            if count > 0:
                self.embedding_messages.labels(outcome).inc(count)

    def rate_limit_hit(self, *, limit: RateLimitKind) -> None:
        self.rate_limit_hits.labels(limit).inc()

    def auth_attempt(self, *, method: AuthMethod, outcome: AuthOutcome) -> None:
        self.auth_attempts.labels(method, outcome).inc()

    def render(self) -> tuple[bytes, str]:
        """The Prometheus text exposition of this registry, and its content type."""
        return generate_latest(self.registry), CONTENT_TYPE_LATEST
