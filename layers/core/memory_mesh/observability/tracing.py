"""OpenTelemetry traces for the local server, sent over OTLP/HTTP.

Only imported when ``MEMORY_OTLP_ENDPOINT`` is set (the app factory imports this module
lazily), so a server without tracing loads no OpenTelemetry SDK. Spans: one per HTTP
request (FastAPI instrumentation, named by route template) with a child per SQL
statement (psycopg instrumentation; statements only, never their parameters).
Database calls with no request around them (the embedding worker's polling) are not
traced: they would be a root span every poll. In Lambda, Powertools Tracer (X-Ray) does
this job instead; see the README's Observability section.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from fastapi import FastAPI
from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from opentelemetry.instrumentation.psycopg import PsycopgInstrumentor
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    SimpleSpanProcessor,
    SpanExporter,
)
from opentelemetry.sdk.trace.sampling import (
    Decision,
    ParentBased,
    Sampler,
    SamplingResult,
    TraceIdRatioBased,
)
from opentelemetry.trace import Link, SpanKind
from opentelemetry.trace.span import TraceState
from opentelemetry.util.types import Attributes

from memory_mesh import __version__
from memory_mesh.config import Settings

# health probes and scrapes are not worth a trace each
EXCLUDED_URLS = "/metrics,/v1/admin/health,/v1/admin/readiness"


def traces_url(endpoint: str) -> str:
    """``http://collector:4318`` -> ``http://collector:4318/v1/traces`` (kept if given)."""
    endpoint = endpoint.rstrip("/")
    return endpoint if endpoint.endswith("/v1/traces") else endpoint + "/v1/traces"


class _RequestRootSampler(Sampler):
    """Root spans: sampled at ``ratio``, except client spans (SQL) with no request."""

    def __init__(self, ratio: float) -> None:
        self._ratio = TraceIdRatioBased(ratio)

    def should_sample(
        self,
        parent_context: Context | None,
        trace_id: int,
        name: str,
        kind: SpanKind | None = None,
        attributes: Attributes = None,
        links: Sequence[Link] | None = None,
        trace_state: TraceState | None = None,
    ) -> SamplingResult:
        if kind is SpanKind.CLIENT:
            return SamplingResult(Decision.DROP)
        return self._ratio.should_sample(
            parent_context, trace_id, name, kind, attributes, links, trace_state
        )

    def get_description(self) -> str:
        return f"RequestRoot({self._ratio.get_description()})"


@dataclass
class Tracing:
    """The tracing of one app; :meth:`shutdown` flushes spans and removes the hooks."""

    app: FastAPI
    provider: TracerProvider
    owns_psycopg: bool

    def shutdown(self) -> None:
        FastAPIInstrumentor.uninstrument_app(self.app)
        if self.owns_psycopg:
            PsycopgInstrumentor().uninstrument()
        self.provider.shutdown()


def install_tracing(
    app: FastAPI, settings: Settings, exporter: SpanExporter | None = None
) -> Tracing:
    """Trace ``app`` (and SQL) to ``MEMORY_OTLP_ENDPOINT``, or to ``exporter`` (tests:
    an in-memory exporter, spans exported synchronously). Call before the app serves."""
    provider = TracerProvider(
        resource=Resource.create(
            {
                "service.name": settings.trace_service_name,
                "service.version": __version__,
                "deployment.environment": settings.environment,
            }
        ),
        sampler=ParentBased(root=_RequestRootSampler(settings.trace_sample_ratio)),
    )
    if exporter is not None:
        provider.add_span_processor(SimpleSpanProcessor(exporter))
    else:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        assert settings.otlp_endpoint is not None
        provider.add_span_processor(
            BatchSpanProcessor(OTLPSpanExporter(endpoint=traces_url(settings.otlp_endpoint)))
        )
    FastAPIInstrumentor.instrument_app(app, tracer_provider=provider, excluded_urls=EXCLUDED_URLS)
    psycopg = PsycopgInstrumentor()
    owns_psycopg = not psycopg.is_instrumented_by_opentelemetry
    if owns_psycopg:
        # process-wide (it wraps psycopg's connect): connections opened from now on are traced
        psycopg.instrument(tracer_provider=provider, skip_dep_check=True)
    return Tracing(app=app, provider=provider, owns_psycopg=owns_psycopg)


def current_trace_ids() -> dict[str, str]:
    """The current trace and span ids (hex), for log lines; empty outside a span."""
    context = trace.get_current_span().get_span_context()
    if not context.is_valid:
        return {}
    return {
        "trace_id": format(context.trace_id, "032x"),
        "span_id": format(context.span_id, "016x"),
    }
