"""The service's metrics, behind one protocol with two backends.

Services call :class:`MetricsRecorder` methods (``metrics.search(...)``); which backend
receives them is chosen once from the settings by :func:`build_metrics`:

- :class:`~memory_mesh.observability.prometheus.PrometheusMetrics` (the local server):
  counters, histograms and a gauge in a registry of this runtime's own — never the
  process-global default registry, so two runtimes in one process (tests) never share
  counts — scraped at ``GET /metrics``;
- :class:`~memory_mesh.observability.emf.EmfMetrics` (Lambda): CloudWatch Embedded
  Metric Format lines through Powertools;
- :class:`NullMetrics`: nothing (``MEMORY_METRICS_BACKEND=none``; the default of every
  service built without a recorder).

Labels are low-cardinality on purpose: the route *template* (``/v1/messages/{message_id}``,
never the raw path), the method, the status; never a tenant or a user.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal, Protocol

if TYPE_CHECKING:
    from memory_mesh.config import Settings

IngestMode = Literal["inline", "async"]
RateLimitKind = Literal["caller", "client", "tenant", "login"]
AuthMethod = Literal["password", "refresh_token", "access_token", "api_key"]
AuthOutcome = Literal["success", "failure", "refused", "throttled"]

RATE_LIMIT_KINDS: tuple[RateLimitKind, ...] = ("caller", "client", "tenant", "login")
EMBEDDING_OUTCOMES = ("embedded", "failed", "gave_up")
AUTH_SERIES: tuple[tuple[AuthMethod, AuthOutcome], ...] = (
    ("password", "success"),
    ("password", "failure"),
    ("password", "throttled"),
    ("refresh_token", "success"),
    ("refresh_token", "refused"),
    ("access_token", "success"),
    ("access_token", "refused"),
    ("api_key", "success"),
    ("api_key", "refused"),
)


class GaugeHandle(Protocol):
    """A value that goes up and down (open WebSocket connections)."""

    def set(self, value: float) -> None: ...

    def inc(self, amount: float = 1) -> None: ...

    def dec(self, amount: float = 1) -> None: ...


class MetricsRecorder(Protocol):
    """What the service measures. Durations are in seconds."""

    @property
    def websocket_connections(self) -> GaugeHandle:
        """Open WebSocket connections: ``inc()`` on connect, ``dec()`` on close,
        ``set(n)`` when the real count is known (e.g. from the connection registry)."""
        ...

    def http_request(self, *, method: str, route: str, status: int, seconds: float) -> None:
        """One HTTP request answered; ``route`` is the route template or ``unmatched``."""
        ...

    def messages_ingested(self, *, mode: IngestMode, count: int) -> None:
        """``count`` new messages stored (idempotent retries are not counted)."""
        ...

    def search(self, *, mode: str, plan: str, seconds: float, degraded: bool) -> None:
        """One search done; ``mode`` is the mode that ran (keyword when degraded)."""
        ...

    def embedding_job(self, *, seconds: float, embedded: int, failed: int, gave_up: int) -> None:
        """One embedding job (a claimed set of messages) processed, and its outcomes."""
        ...

    def rate_limit_hit(self, *, limit: RateLimitKind) -> None:
        """A request refused (429) by a rate limit."""
        ...

    def auth_attempt(self, *, method: AuthMethod, outcome: AuthOutcome) -> None:
        """A credential presented, and what became of it."""
        ...


class _NullGauge:
    def set(self, value: float) -> None:
        pass

    def inc(self, amount: float = 1) -> None:
        pass

    def dec(self, amount: float = 1) -> None:
        pass


class NullMetrics:
    """Records nothing."""

    def __init__(self) -> None:
        self._gauge = _NullGauge()

    @property
    def websocket_connections(self) -> GaugeHandle:
        return self._gauge

    def http_request(self, *, method: str, route: str, status: int, seconds: float) -> None:
        pass

    def messages_ingested(self, *, mode: IngestMode, count: int) -> None:
        pass

    def search(self, *, mode: str, plan: str, seconds: float, degraded: bool) -> None:
        pass

    def embedding_job(self, *, seconds: float, embedded: int, failed: int, gave_up: int) -> None:
        pass

    def rate_limit_hit(self, *, limit: RateLimitKind) -> None:
        pass

    def auth_attempt(self, *, method: AuthMethod, outcome: AuthOutcome) -> None:
        pass


NULL_METRICS: MetricsRecorder = NullMetrics()


def build_metrics(settings: Settings) -> MetricsRecorder:
    """The backend ``MEMORY_METRICS_BACKEND`` names: prometheus (default), emf or none."""
    if settings.metrics_backend == "emf":
        from memory_mesh.observability.emf import EmfMetrics

        return EmfMetrics(namespace=settings.metrics_namespace)
    if settings.metrics_backend == "none":
        return NullMetrics()
    # imported only here: the Lambda layer does not ship prometheus_client
    from memory_mesh.observability.prometheus import PrometheusMetrics

    return PrometheusMetrics()
