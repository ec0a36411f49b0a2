"""The cloud queue: embedding jobs as SQS messages, which trigger the embedding function.

One SQS message carries up to ``ids_per_message`` ids of one tenant as JSON
``{"tenant_id": ..., "message_ids": [...]}``; messages go out in ``send_message_batch``
calls of at most 10 entries (the SQS limit). A send that fails is logged, never raised:
the rows stay ``pending`` and the sweeper embeds them on its next run.
"""

from __future__ import annotations

import json
import logging
import uuid
from typing import Any
from uuid import UUID

import anyio

log = logging.getLogger(__name__)

SQS_BATCH_LIMIT = 10  # entries per send_message_batch call


def job_body(tenant_id: str, message_ids: list[UUID]) -> str:
    """The JSON body of one embedding job (read back by :func:`parse_job`)."""
    return json.dumps({"tenant_id": tenant_id, "message_ids": [str(i) for i in message_ids]})


def parse_job(body: str) -> tuple[str, list[UUID]]:
    """``(tenant_id, message_ids)`` of a job body; ValueError if it is not one."""
    data = json.loads(body)
    if not isinstance(data, dict) or not isinstance(data.get("message_ids"), list):
        raise ValueError("not an embedding job: expected {tenant_id, message_ids}")
    return str(data["tenant_id"]), [UUID(str(i)) for i in data["message_ids"]]


class SqsQueue:
    """:class:`~memory_mesh.queue.base.JobQueue` on SQS (boto3, called in a worker thread)."""

    def __init__(self, client: Any, queue_url: str, *, ids_per_message: int = 32) -> None:
        self._client = client
        self._queue_url = queue_url
        self._ids_per_message = ids_per_message

    @classmethod
    def create(
        cls,
        queue_url: str,
        *,
        region: str | None = None,
        endpoint_url: str | None = None,
        ids_per_message: int = 32,
    ) -> SqsQueue:
        import boto3  # cloud-only dependency, loaded when the SQS queue is configured

        client = boto3.client("sqs", region_name=region, endpoint_url=endpoint_url)
        return cls(client, queue_url, ids_per_message=ids_per_message)

    async def enqueue(self, tenant_id: str, message_ids: list[UUID]) -> None:
        if not message_ids:
            return
        size = self._ids_per_message
        bodies = [
            job_body(tenant_id, message_ids[i : i + size]) for i in range(0, len(message_ids), size)
        ]
        for start in range(0, len(bodies), SQS_BATCH_LIMIT):
            chunk = bodies[start : start + SQS_BATCH_LIMIT]
            try:
                await anyio.to_thread.run_sync(self._send_batch, chunk)
            except Exception:  # the rows are the jobs: the sweeper embeds what is not sent
                log.exception("could not send %d embedding jobs to SQS", len(chunk))

    def _send_batch(self, bodies: list[str]) -> None:
        entries = [{"Id": uuid.uuid4().hex, "MessageBody": body} for body in bodies]
        response = self._client.send_message_batch(QueueUrl=self._queue_url, Entries=entries)
        failed = response.get("Failed") or []
        if failed:
            log.warning(
                "SQS refused %d of %d embedding jobs: %s",
                len(failed),
                len(entries),
                [f.get("Code") for f in failed],
            )
