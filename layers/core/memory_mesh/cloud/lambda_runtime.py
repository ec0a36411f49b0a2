"""One :class:`~memory_mesh.runtime.Runtime` per Lambda container, on one event loop.

Lambda handlers are synchronous and a container serves one invocation at a time. The
container builds its runtime lazily on the first invocation (connect, build the
embedder) and reuses it, the pool's connections and the event loop for every later one.
There is no background worker in Lambda: the SQS function and the sweeper embed.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any, TypeVar

from memory_mesh.cloud.lambda_logging import route_service_logs, running_in_lambda
from memory_mesh.config import Settings
from memory_mesh.embeddings import Embedder
from memory_mesh.runtime import Runtime
from memory_mesh.store.database import Credentials

if TYPE_CHECKING:
    from aws_lambda_powertools import Logger, Tracer
    from aws_lambda_powertools.metrics import Metrics
    from aws_lambda_powertools.utilities.typing import LambdaContext
    from fastapi import FastAPI

log = logging.getLogger(__name__)

T = TypeVar("T")
LambdaEvent = dict[str, Any]
HttpHandler = Callable[[LambdaEvent, Any], dict[str, Any]]


class LambdaContainer:
    """The long-lived state of one function's container (module level in its app.py).

    ``embedder`` may be set before the first invocation to use another embedder (tests
    inject a failing one this way); otherwise the configured provider is built.
    ``credentials``: the database login, asked for every new pooled connection (a
    rotated secret reaches a warm container); without it, ``settings.database_url``.
    """

    def __init__(
        self,
        settings: Settings,
        *,
        embedder: Embedder | None = None,
        credentials: Credentials | None = None,
    ) -> None:
        if running_in_lambda():
            route_service_logs(settings.log_level)
        self.settings = settings
        self.embedder = embedder
        self.credentials = credentials
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runtime: Runtime | None = None

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        if self._loop is None or self._loop.is_closed():
            self._loop = asyncio.new_event_loop()
        return self._loop

    def run(self, awaitable: Awaitable[T]) -> T:
        """Run ``awaitable`` to completion on the container's loop (from a sync handler),
        then let the events it published leave before Lambda freezes the container."""
        asyncio.set_event_loop(self.loop)
        try:
            return self.loop.run_until_complete(awaitable)
        finally:
            self.flush_events()

    def flush_events(self) -> None:
        """Wait (bounded) for live events still being queued (``QueueEventBus``)."""
        flush = getattr(getattr(self._runtime, "bus", None), "flush", None)
        if callable(flush):
            flush()

    def runtime(self) -> Runtime:
        """The container's runtime, started on first use (no background worker)."""
        if self._runtime is None:
            self._runtime = self.run(
                Runtime.start(
                    self.settings,
                    embedder=self.embedder,
                    credentials=self.credentials,
                    run_worker=False,
                    # a database that is down answers 503 per request, within the pool
                    # timeout, instead of timing out the container's first invocation
                    wait_for_database=False,
                )
            )
        return self._runtime

    def http(self, app: FastAPI, metrics: Metrics | None = None) -> HttpHandler:
        """An API Gateway (HTTP API, payload 2.0) handler for ``app`` via Mangum.

        Mangum's lifespan is off on purpose: Mangum runs the ASGI lifespan on *every*
        invocation, which would open and close the database pool per request. The app's
        runtime is this container's, started once.
        """
        from aws_lambda_powertools.metrics import MetricUnit, single_metric
        from mangum import Mangum

        adapters: list[Mangum] = []  # built on the first invocation, on the container loop

        def handle(event: LambdaEvent, context: Any) -> dict[str, Any]:
            app.state.runtime = self.runtime()
            asyncio.set_event_loop(self.loop)  # Mangum runs on the thread's current loop
            if not adapters:
                adapters.append(Mangum(app, lifespan="off"))
            try:
                response = adapters[0](event, context)
            finally:
                self.flush_events()
            if metrics is not None:
                status = int(response.get("statusCode", 500))
                metrics.add_metric(name=f"Http{status // 100}xx", unit=MetricUnit.Count, value=1)
                if status >= 500:
                    # per function: the alarm CodeDeploy watches to roll back this function
                    with single_metric(
                        name="Http5xx",
                        unit=MetricUnit.Count,
                        value=1,
                        namespace=getattr(metrics, "namespace", None),
                        default_dimensions={
                            "service": str(getattr(metrics, "service", None) or "memory-mesh"),
                            "function": str(getattr(context, "function_name", "unknown")),
                        },
                    ):
                        pass
            return response

        return handle

    def close(self, timeout_seconds: float = 20.0) -> None:
        """Stop the runtime and close the loop (tests, the local poller; Lambda just
        freezes the container). A stop that outlasts ``timeout_seconds`` is abandoned
        with a warning rather than hanging the caller."""
        if self._runtime is not None:
            runtime, self._runtime = self._runtime, None
            stopping = self.loop.create_task(runtime.stop())
            done, _ = self.run(asyncio.wait({stopping}, timeout=timeout_seconds))
            if not done:
                log.warning("runtime did not stop within %.0f s; abandoning it", timeout_seconds)
                stopping.cancel()
            elif stopping.exception() is not None:
                log.warning("runtime stop failed: %r", stopping.exception())
        if self._loop is not None and not self._loop.is_closed():
            pending = [t for t in asyncio.all_tasks(self._loop) if not t.done()]
            for task in pending:
                task.cancel()
            if pending:  # let them see the cancellation, briefly
                self._loop.run_until_complete(asyncio.wait(pending, timeout=2.0))
            self._loop.close()
        self._loop = None
        asyncio.set_event_loop(None)


def lambda_container() -> LambdaContainer:
    """A function's container: settings with the secrets' values, and the database login
    read again from its secret for each new connection (rotation, docs/DEPLOY.md)."""
    from memory_mesh.cloud.secrets import database_credentials, load_cloud_settings

    return LambdaContainer(load_cloud_settings(), credentials=database_credentials())


@dataclass
class HttpFunction:
    """Everything an HTTP area's ``app.py`` keeps at module level (one per container)."""

    logger: Logger
    tracer: Tracer
    metrics: Metrics
    container: LambdaContainer
    app: FastAPI
    lambda_handler: Callable[[LambdaEvent, LambdaContext], dict[str, Any]]


def http_function(area: str) -> HttpFunction:
    """The Lambda function of one ``/v1`` area (``functions/<area>/app.py`` is this call):
    settings (secrets read once), the container, a FastAPI app with that area's router
    only, and the handler under Powertools' logger, tracer and metrics. Called at import,
    so all of it is built once per cold start, as Powertools' examples do."""
    from aws_lambda_powertools import Logger, Metrics, Tracer
    from aws_lambda_powertools.logging import correlation_paths

    from memory_mesh.embeddings import build_embedder
    from memory_mesh.embeddings.lazy import LazyEmbedder
    from memory_mesh.http.app import create_app

    logger = Logger()
    tracer = Tracer()
    metrics = Metrics(namespace="MemoryMesh")
    container = lambda_container()
    if area != "memory":
        # the embedder (for Bedrock, a boto3 client: most of a first invocation's CPU)
        # is built by the first request that embeds; in async mode only search does, on
        # almost every request, so the search function builds it with its runtime
        container.embedder = LazyEmbedder(partial(build_embedder, container.settings))
    app = create_app(container.settings, areas=[area], run_worker=False)
    handle = container.http(app, metrics)

    @logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
    @tracer.capture_lambda_handler
    @metrics.log_metrics(capture_cold_start_metric=True)
    def lambda_handler(event: LambdaEvent, context: LambdaContext) -> dict[str, Any]:
        return handle(event, context)

    return HttpFunction(logger, tracer, metrics, container, app, lambda_handler)
