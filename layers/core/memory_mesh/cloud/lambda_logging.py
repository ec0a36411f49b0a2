"""In Lambda, every ``memory_mesh.*`` log record goes through the function's Powertools
JSON logger (one JSON object per line, with the invocation's keys: request id, cold
start, function name, X-Ray trace id), at ``MEMORY_LOG_LEVEL``.

Without this, the service's loggers propagate to the root logger, which the Lambda
runtime leaves at WARNING with a plain-text handler: INFO lines vanish and the rest are
not JSON. Powertools' ``copy_config_to_registered_loggers`` gives the top-level
``memory_mesh`` logger the function logger's handler; every ``memory_mesh.*`` logger,
imported before or after, propagates to it. Credential shapes are redacted on that
handler, as the local server's formatters do.
"""

from __future__ import annotations

import logging
import os

from memory_mesh.observability.logs import RedactingFilter

PACKAGE = "memory_mesh"


def running_in_lambda() -> bool:
    """Whether this process is a Lambda function (the runtime sets this variable)."""
    return "AWS_LAMBDA_FUNCTION_NAME" in os.environ


def route_service_logs(level: str) -> None:
    """Send ``memory_mesh.*`` records through the Powertools logger at ``level``;
    calling it again only updates the level."""
    from aws_lambda_powertools import Logger
    from aws_lambda_powertools.logging.utils import copy_config_to_registered_loggers

    logging.getLogger(PACKAGE)  # registered, so that Powertools finds it
    source = Logger()  # the function's logger: Powertools keeps one per service name
    copy_config_to_registered_loggers(source_logger=source, include={PACKAGE}, log_level=level)
    for handler in source.handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(RedactingFilter())
