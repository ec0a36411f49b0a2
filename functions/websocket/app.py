"""Lambda for the WebSocket API: $connect, $disconnect, $default, subscribe, search.

Mangum does not handle WebSocket events; the routes are dispatched on
``requestContext.routeKey`` by :class:`memory_mesh.cloud.websocket.WebSocketRoutes`.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from memory_mesh.cloud.lambda_runtime import lambda_container
from memory_mesh.cloud.websocket import WebSocketRoutes

logger = Logger()
tracer = Tracer()
metrics = Metrics(namespace="MemoryMesh")

container = lambda_container()
routes = WebSocketRoutes(container)


@logger.inject_lambda_context(correlation_id_path="requestContext.requestId")
@tracer.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    metrics.add_metric(name="WebSocketEvents", unit=MetricUnit.Count, value=1)
    return routes.handle(event)
