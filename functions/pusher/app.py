"""Lambda on the live-events queue: posts each event to the WebSocket connections it
names (``@connections``). Outside the VPC: it needs no NAT gateway, no database, no
Redis. Powertools' batch processor reports failed records for redelivery."""

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

from memory_mesh.cloud.lambda_logging import route_service_logs, running_in_lambda
from memory_mesh.cloud.pusher import Pusher, PusherSettings, PushFailed

logger = Logger()
tracer = Tracer()
metrics = Metrics(namespace="MemoryMesh")
processor = BatchProcessor(event_type=EventType.SQS)

settings = PusherSettings()
if running_in_lambda():  # memory_mesh.* log lines through the Powertools JSON logger
    route_service_logs(settings.log_level)
pusher = Pusher.create(settings)


@tracer.capture_method
def record_handler(record: SQSRecord) -> None:
    try:
        outcome = pusher.push(record.body)
    except PushFailed as exc:  # counted, then SQS delivers the record again
        metrics.add_metric(name="PushFailures", unit=MetricUnit.Count, value=exc.failed)
        raise
    metrics.add_metric(name="EventsPushed", unit=MetricUnit.Count, value=outcome.sent)
    metrics.add_metric(name="ConnectionsGone", unit=MetricUnit.Count, value=outcome.gone)
    metrics.add_metric(name="PushFailures", unit=MetricUnit.Count, value=outcome.failed)


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(event, record_handler, processor, context)
