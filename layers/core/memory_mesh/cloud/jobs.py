"""The embedding function's job (one SQS record) and the sweeper's round."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from memory_mesh.queue.sqs import parse_job
from memory_mesh.runtime import Runtime
from memory_mesh.services.embedding import EmbedOutcome

log = logging.getLogger(__name__)


class EmbeddingJobFailed(RuntimeError):
    """Some messages of a job were not embedded: SQS must deliver the record again.

    Their rows already hold the failure (attempts counted, ``failed`` once spent), so
    the retry re-embeds only what is still pending; after ``maxReceiveCount`` receives
    SQS moves the record to the dead-letter queue.
    """

    def __init__(self, outcome: EmbedOutcome) -> None:
        super().__init__(
            f"{outcome.failed} messages not embedded ({outcome.gave_up} now marked failed)"
        )
        self.outcome = outcome


async def embed_job(runtime: Runtime, body: str) -> EmbedOutcome:
    """Embed the messages named by one job body; raise :class:`EmbeddingJobFailed` if any
    failed. Ids already embedded, deleted or ``failed`` are skipped (retries are safe)."""
    _tenant_id, ids = parse_job(body)
    outcome = await runtime.pipeline.embed_ids(ids)
    if outcome.failed:
        raise EmbeddingJobFailed(outcome)
    return outcome


@dataclass
class SweepResult:
    rounds: int = 0
    embedded: int = 0
    failed: int = 0
    gave_up: int = 0


async def sweep(
    runtime: Runtime, *, time_left_ms: Callable[[], int], reserve_ms: int = 10_000
) -> SweepResult:
    """Embed every due pending message (left behind by a crash, a lost SQS message or a
    replay), round after round while work remains and ``reserve_ms`` of time is left."""
    result = SweepResult()
    while time_left_ms() > reserve_ms:
        outcome = await runtime.pipeline.embed_due()
        result.rounds += 1
        result.embedded += outcome.embedded
        result.failed += outcome.failed
        result.gave_up += outcome.gave_up
        if outcome.embedded + outcome.failed == 0:
            break
    return result
