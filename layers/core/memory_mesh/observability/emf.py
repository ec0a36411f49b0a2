"""The metrics as CloudWatch Embedded Metric Format (EMF), for the Lambda functions.

Each event becomes one EMF JSON line on stdout (Powertools' ``EphemeralMetrics``, so it
shares nothing with a function's own ``Metrics`` object and needs no ``log_metrics``
flush); CloudWatch turns the lines into metrics in ``namespace``. Dimensions are kept
few (status *class*, not code) because every combination is a billed custom metric.

Chosen with ``MEMORY_METRICS_BACKEND=emf`` (see :func:`~memory_mesh.observability.metrics.
build_metrics`). A WebSocket connection count is not known inside one invocation, so
``websocket_connections.inc()/dec()`` emit ``WebSocketConnects`` / ``WebSocketDisconnects``
counts, and ``set(n)`` the ``WebSocketConnections`` value.
"""

from __future__ import annotations

from aws_lambda_powertools.metrics import EphemeralMetrics, MetricUnit

from memory_mesh.observability.metrics import (
    AuthMethod,
    AuthOutcome,
    GaugeHandle,
    IngestMode,
    RateLimitKind,
)

Point = tuple[str, MetricUnit, float]


class EmfMetrics:
    """:class:`~memory_mesh.observability.metrics.MetricsRecorder` writing EMF lines."""

    def __init__(self, namespace: str = "MemoryMesh", service: str | None = None) -> None:
        self.namespace = namespace
        self.service = service  # None: POWERTOOLS_SERVICE_NAME, when set
        self._gauge = _EmfGauge(self)

    def emit(self, dimensions: dict[str, str], points: list[Point]) -> None:
        """Write one EMF line with ``points`` under ``dimensions``."""
        blob = EphemeralMetrics(namespace=self.namespace, service=self.service)
        for name, value in dimensions.items():
            blob.add_dimension(name=name, value=value)
        for metric, unit, amount in points:
            blob.add_metric(name=metric, unit=unit, value=amount)
        blob.flush_metrics()

    @property
    def websocket_connections(self) -> GaugeHandle:
        return self._gauge

    def http_request(self, *, method: str, route: str, status: int, seconds: float) -> None:
        self.emit(
            {"Route": route, "Method": method, "StatusClass": f"{status // 100}xx"},
            [
                ("HttpRequests", MetricUnit.Count, 1),
                ("HttpLatency", MetricUnit.Milliseconds, seconds * 1000),
            ],
        )

    def messages_ingested(self, *, mode: IngestMode, count: int) -> None:
        if count > 0:
            self.emit({"Mode": mode}, [("MessagesIngested", MetricUnit.Count, count)])

    def search(self, *, mode: str, plan: str, seconds: float, degraded: bool) -> None:
        points: list[Point] = [
            ("Searches", MetricUnit.Count, 1),
            ("SearchLatency", MetricUnit.Milliseconds, seconds * 1000),
        ]
        if degraded:
            points.append(("SearchesDegraded", MetricUnit.Count, 1))
        self.emit({"Mode": mode, "Plan": plan}, points)

    def embedding_job(self, *, seconds: float, embedded: int, failed: int, gave_up: int) -> None:
        self.emit(
            {},
            [
                ("EmbeddingJobs", MetricUnit.Count, 1),
                ("EmbeddingJobDuration", MetricUnit.Milliseconds, seconds * 1000),
                ("MessagesEmbedded", MetricUnit.Count, embedded),
                ("EmbeddingFailures", MetricUnit.Count, failed),
                ("EmbeddingGaveUp", MetricUnit.Count, gave_up),
            ],
        )

    def rate_limit_hit(self, *, limit: RateLimitKind) -> None:
        self.emit({"Limit": limit}, [("RateLimitHits", MetricUnit.Count, 1)])

    def auth_attempt(self, *, method: AuthMethod, outcome: AuthOutcome) -> None:
        self.emit({"Method": method, "Outcome": outcome}, [("AuthAttempts", MetricUnit.Count, 1)])


class _EmfGauge:
    def __init__(self, metrics: EmfMetrics) -> None:
        self._metrics = metrics

    def set(self, value: float) -> None:
        self._metrics.emit({}, [("WebSocketConnections", MetricUnit.Count, value)])

    def inc(self, amount: float = 1) -> None:
        self._metrics.emit({}, [("WebSocketConnects", MetricUnit.Count, amount)])

    def dec(self, amount: float = 1) -> None:
        self._metrics.emit({}, [("WebSocketDisconnects", MetricUnit.Count, amount)])
