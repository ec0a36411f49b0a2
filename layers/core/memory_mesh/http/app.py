"""The FastAPI application factory. The local server mounts every area; each Lambda
function mounts only its own (``areas``), over the same routers."""

from __future__ import annotations

import importlib
from collections.abc import AsyncIterator, Iterable, Iterator, Mapping
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from typing import TYPE_CHECKING

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from memory_mesh import __version__
from memory_mesh.config import Settings
from memory_mesh.embeddings import Embedder
from memory_mesh.http import redaction
from memory_mesh.http.errors import install_error_handlers
from memory_mesh.http.middleware import BodyLimitMiddleware, RequestIdMiddleware
from memory_mesh.http.routers.common import document_error_body
from memory_mesh.http.static import mount_dashboard
from memory_mesh.http.versioning import install_versioning
from memory_mesh.observability.access import AccessLogMiddleware
from memory_mesh.observability.endpoint import add_metrics_route

if TYPE_CHECKING:
    from fastapi import APIRouter
    from opentelemetry.sdk.trace.export import SpanExporter

# each area's router module, imported when the area is mounted: building a router's
# routes is most of an HTTP function's cold start, so a function builds only its own
AREA_MODULES = {
    "auth": "memory_mesh.http.routers.auth",
    "messages": "memory_mesh.http.routers.messages",
    "memory": "memory_mesh.http.routers.memory",
    "conversations": "memory_mesh.http.routers.conversations",
    "admin": "memory_mesh.http.routers.admin",  # includes /v1/admin/retention
    "analytics": "memory_mesh.http.routers.analytics",
    "transfer": "memory_mesh.http.routers.transfer",  # /v1/export, /v1/import
    "realtime": "memory_mesh.http.routers.realtime",  # the local server's WebSockets
    "legacy": "memory_mesh.http.routers.legacy",  # old paths, deprecated (Deprecation/Sunset)
}


class _Routers(Mapping[str, "APIRouter"]):
    """Area name -> its router, importing the router's module on first access."""

    def __getitem__(self, area: str) -> APIRouter:
        router: APIRouter = importlib.import_module(AREA_MODULES[area]).router
        return router

    def __iter__(self) -> Iterator[str]:
        return iter(AREA_MODULES)

    def __len__(self) -> int:
        return len(AREA_MODULES)


AREAS: Mapping[str, APIRouter] = _Routers()

DESCRIPTION = """
Memory Mesh stores the messages of an AI application's conversations and finds the ones
that matter for a new question: messages are embedded, scored for importance, searched by
meaning (ranked by similarity, importance and recency) and aged out by retention rules.

Errors are JSON `{code, message, request_id, details}` with a stable `code`.

**Authentication**: every endpoint except health, readiness and sign-up/sign-in needs
either `Authorization: Bearer <access token>` (from `POST /v1/auth/login`) or
`x-api-key: <key>` (from `POST /v1/auth/api-keys`, bound to one tenant, with scopes
read / write / admin). A signed-in user naming a tenant id that does not exist yet
becomes its admin on first use (unless `MEMORY_TENANT_OPEN_CLAIM` is off); a tenant that
exists and is not held answers 403; an id of another tenant's object answers 404. Rate
limits answer 429 with `Retry-After`.
"""


def create_app(
    settings: Settings,
    *,
    areas: Iterable[str] | None = None,
    embedder: Embedder | None = None,
    run_worker: bool = True,
    span_exporter: SpanExporter | None = None,
) -> FastAPI:
    """Build the app; its lifespan starts the :class:`Runtime` and stops it on exit.

    The local server (``areas`` None) also serves ``GET /metrics``. With
    ``MEMORY_OTLP_ENDPOINT`` set, requests are traced (to ``span_exporter`` in tests)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        from memory_mesh.runtime import Runtime  # Lambda starts its own (lambda_runtime)

        runtime = await Runtime.start(settings, embedder=embedder, run_worker=run_worker)
        app.state.runtime = runtime
        try:
            async with AsyncExitStack() as stack:
                if mcp_sessions is not None:
                    await stack.enter_async_context(mcp_sessions)
                yield
        finally:
            await runtime.stop()
            if app.state.tracing is not None:
                app.state.tracing.shutdown()

    app = FastAPI(
        title="Memory Mesh",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url="/docs",
        redoc_url="/redoc",
        openapi_url="/openapi.json",
    )
    for name in areas or AREAS:
        app.include_router(AREAS[name])
    if areas is None and settings.metrics_backend == "prometheus":
        token = settings.metrics_token
        add_metrics_route(app, token.get_secret_value() if token else None)
    mcp_sessions: AbstractAsyncContextManager[None] | None = None
    if areas is None and settings.mcp_enabled:
        # imported only here: the Lambda functions (areas given) and their layer have no mcp
        from memory_mesh.mcp.endpoint import mount_mcp

        mcp_sessions = mount_mcp(app)
    # the built web dashboard at /, after every route
    mount_dashboard(app, settings, explain_missing=areas is None)
    install_error_handlers(app)
    redaction.install()
    document_error_body(app)
    install_versioning(app)
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_request_bytes)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_credentials="*" not in settings.cors_origins,
            allow_methods=["GET", "POST", "PUT", "DELETE", "OPTIONS"],
            allow_headers=["authorization", "x-api-key", "content-type", "x-request-id"],
            expose_headers=[
                "x-request-id",
                "retry-after",
                "x-ratelimit-limit",
                "x-ratelimit-remaining",
                "x-ratelimit-reset",
                "deprecation",
                "sunset",
                "link",
                "server-timing",
            ],
        )
    app.state.tracing = None
    trace_ids = None
    if settings.otlp_endpoint:
        # imported only here: without an endpoint no OpenTelemetry module is loaded
        from memory_mesh.observability.tracing import current_trace_ids, install_tracing

        app.state.tracing = install_tracing(app, settings, span_exporter)
        trace_ids = current_trace_ids
    app.add_middleware(AccessLogMiddleware, trace_ids=trace_ids)
    app.add_middleware(RequestIdMiddleware)
    return app
