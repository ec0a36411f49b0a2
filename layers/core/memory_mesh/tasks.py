"""Stopping background tasks for good.

asyncio's cancellation is delivered once. A task that loses it (a library that turns it
into a timeout and retries: redis-py connecting under its ``Retry``, seen when a Lambda
container's frozen loop resumed with the connect timeout already overdue) runs on, and a
plain ``task.cancel(); await task`` then waits forever. :func:`cancel_and_wait` cancels
again until the task ends, as anyio's level-triggered cancellation would.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from typing import Any

log = logging.getLogger(__name__)

# how long a cancelled task may run on before it is cancelled again
RECANCEL_SECONDS = 0.5


async def cancel_and_wait(
    tasks: Iterable[asyncio.Task[Any] | None], *, recancel_seconds: float = RECANCEL_SECONDS
) -> None:
    """Cancel ``tasks`` (None entries are skipped) and return once every one has ended,
    cancelling again each ``recancel_seconds`` any that is still running. A task's own
    error is logged, not raised. Cancelling the caller still cancels the wait."""
    given = [task for task in tasks if task is not None]
    pending = {task for task in given if not task.done()}
    while pending:
        for task in pending:
            task.cancel()
        _, pending = await asyncio.wait(pending, timeout=recancel_seconds)
        if pending:
            log.warning(
                "%s ran on after being cancelled; cancelling again",
                ", ".join(sorted(task.get_name() for task in pending)),
            )
    for task in given:
        if not task.cancelled() and task.exception() is not None:
            log.warning("task %s had failed: %r", task.get_name(), task.exception())
