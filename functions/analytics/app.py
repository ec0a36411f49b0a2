"""Lambda for the /v1/analytics routes: API Gateway HTTP API (payload 2.0) -> the same
FastAPI router the local server mounts, through Mangum."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from memory_mesh.cloud.lambda_runtime import LambdaContainer
from memory_mesh.cloud.secrets import load_cloud_settings
from memory_mesh.http.app import create_app

logger = Logger()
tracer = Tracer()
metrics = Metrics(namespace="MemoryMesh")

settings = load_cloud_settings()
container = LambdaContainer(settings)
app = create_app(settings, areas=["analytics"], run_worker=False)
handle = container.http(app, metrics)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@tracer.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return handle(event, context)
