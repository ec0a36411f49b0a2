"""Lambda on an EventBridge schedule: embeds every pending message that is due.

The safety net of the SQS path: messages whose job was lost (a failed send, a crash
between commit and enqueue), replayed ones (``POST /v1/admin/embeddings/replay``), and
retries after backoff. Retention has its own scheduled function (functions/retention).
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from memory_mesh.cloud.jobs import sweep
from memory_mesh.cloud.lambda_runtime import lambda_container

logger = Logger()
tracer = Tracer()
metrics = Metrics(namespace="MemoryMesh")

container = lambda_container()


@logger.inject_lambda_context(log_event=True)
@tracer.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    result = container.run(
        sweep(container.runtime(), time_left_ms=context.get_remaining_time_in_millis)
    )
    metrics.add_metric(name="MessagesSwept", unit=MetricUnit.Count, value=result.embedded)
    return asdict(result)
