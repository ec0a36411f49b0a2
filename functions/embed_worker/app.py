"""Lambda for the embedding queue: each SQS record names messages to embed.

Powertools' batch processor reports each failed record in ``batchItemFailures`` (the
template turns on ``ReportBatchItemFailures``), so one bad record never fails its
neighbours; a record failing ``maxReceiveCount`` times goes to the dead-letter queue.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from memory_mesh.cloud.jobs import embed_job
from memory_mesh.cloud.lambda_runtime import lambda_container

logger = Logger()
tracer = Tracer()
metrics = Metrics(namespace="MemoryMesh")
processor = BatchProcessor(event_type=EventType.SQS)

container = lambda_container()


@tracer.capture_method
def record_handler(record: SQSRecord) -> None:
    # EmbeddingJobs / MessagesEmbedded are emitted once, by the service (EMF backend)
    container.run(embed_job(container.runtime(), record.body))


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    response = process_partial_response(event, record_handler, processor, context)
    # records SQS will deliver again (the service's EMF lines count messages, not records)
    failed = len(response.get("batchItemFailures", []))
    metrics.add_metric(name="EmbeddingRecordsFailed", unit=MetricUnit.Count, value=failed)
    return response
