"""Lambda on an EventBridge schedule: applies every tenant's retention rules and the
default policy (archive, then delete), in bounded batches, stopping in time before the
function's timeout (an interrupted run is recorded and the next one carries on)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from memory_mesh.cloud.lambda_runtime import lambda_container

logger = Logger()
tracer = Tracer()
metrics = Metrics(namespace="MemoryMesh")

container = lambda_container()


@logger.inject_lambda_context(log_event=True)
@tracer.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    sweep = container.run(
        container.runtime().retention.run_all(time_left_ms=context.get_remaining_time_in_millis)
    )
    metrics.add_metric(name="MessagesArchived", unit=MetricUnit.Count, value=sweep.archived)
    metrics.add_metric(name="MessagesDeleted", unit=MetricUnit.Count, value=sweep.deleted)
    return asdict(sweep)
