"""Lambda behind the template's custom resource: applies database migrations at deploy
time (and on a direct invocation), then creates or updates the application's login role.
It alone logs in as the master user. Settings and secrets are loaded by the handler,
inside its error handling, so that a failure to load them is answered to CloudFormation
too."""

from __future__ import annotations

from functools import partial
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from memory_mesh.cloud.custom_resource import handle_migration
from memory_mesh.cloud.secrets import load_cloud_settings, load_login_role

logger = Logger()
tracer = Tracer()
metrics = Metrics(namespace="MemoryMesh")


@logger.inject_lambda_context(log_event=True)
@tracer.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    metrics.add_metric(name="MigrationRuns", unit=MetricUnit.Count, value=1)
    # secrets read past Powertools' cache: a warm container re-run by a deploy (or its
    # rollback) minutes later must see a password the stack generated or rotated since
    return handle_migration(
        event,
        context,
        partial(load_cloud_settings, fresh=True),
        load_login_role=partial(load_login_role, fresh=True),
    )
