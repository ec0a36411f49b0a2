"""Embedding of stored messages: claim -> embed in batches -> write vectors, with failures
recorded on the rows (retried with backoff, then ``failed`` for an operator to replay).

A message is committed before this pipeline tries its embedding, so an embedding
failure, a crash or a retry never loses it: the row itself is the job. An inline write
embeds its new messages first (:meth:`EmbeddingPipeline.embed_first`, before any
transaction) and stores each once, with its vector; a message whose embedding failed
there is stored ``pending`` and comes here.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import anyio

from memory_mesh.domain.embedding_text import embedding_text
from memory_mesh.embeddings import Embedder, EmbeddingError
from memory_mesh.observability.metrics import NULL_METRICS, MetricsRecorder
from memory_mesh.observability.xray import subsegment
from memory_mesh.store import messages as message_store
from memory_mesh.store.database import Database
from memory_mesh.store.messages import EmbeddingTask
from memory_mesh.tasks import cancel_and_wait

log = logging.getLogger(__name__)

EmbeddedListener = Callable[[list[UUID]], Awaitable[None]]


@dataclass(frozen=True)
class EmbeddingPolicy:
    batch_size: int = 32
    max_attempts: int = 5
    retry_base_seconds: float = 2.0
    lease_seconds: float = 120.0
    embed_context: bool = False  # embed the stored context before the content


@dataclass
class EmbedOutcome:
    embedded: int = 0
    failed: int = 0  # attempts that failed (retried later unless attempts are spent)
    gave_up: int = 0  # messages marked ``failed`` this round


class EmbeddingPipeline:
    """Embeds claimed messages; shared by inline writes, the worker and the SQS function."""

    def __init__(
        self,
        db: Database,
        embedder: Embedder,
        policy: EmbeddingPolicy,
        on_embedded: EmbeddedListener | None = None,
        *,
        metrics: MetricsRecorder = NULL_METRICS,
    ) -> None:
        self.db = db
        self.embedder = embedder
        self.policy = policy
        self.on_embedded = on_embedded
        self.metrics = metrics

    async def embed_ids(self, ids: list[UUID]) -> EmbedOutcome:
        """Embed exactly these pending messages now (inline mode, SQS jobs)."""
        async with self.db.system() as conn:
            tasks = await message_store.claim(
                conn, limit=len(ids), lease_seconds=self.policy.lease_seconds, ids=ids
            )
        return await self._process(tasks)

    async def embed_first(self, texts: list[str]) -> message_store.Embedded | None:
        """Vectors of new messages' contents before they are stored (inline mode), so each
        is stored once, with its vector: a batch per model call, None for a batch whose
        call failed (those messages are stored ``pending`` and embedded the usual way,
        where the failure is recorded). None when the embedded text needs the stored
        context (``embed_context``: known only once the message is stored) or for no text."""
        if self.policy.embed_context or not texts:
            return None
        started = time.perf_counter()
        vectors: list[Any] = []
        size = self.policy.batch_size
        for start in range(0, len(texts), size):
            chunk = texts[start : start + size]
            try:
                matrix = await self._embed_documents(chunk)
            except Exception as exc:  # stored pending; the usual path retries and records it
                log.warning("embedding %d new messages failed, stored pending: %s", len(chunk), exc)
                vectors += [None] * len(chunk)
                continue
            vectors += list(matrix)
        embedded = sum(v is not None for v in vectors)
        if embedded:
            self.metrics.embedding_job(
                seconds=time.perf_counter() - started, embedded=embedded, failed=0, gave_up=0
            )
        info = self.embedder.info
        return message_store.Embedded(vectors=vectors, provider=info.provider, model=info.model)

    async def embed_due(self, limit: int | None = None) -> EmbedOutcome:
        """Embed the pending messages whose next attempt is due (one worker round)."""
        async with self.db.system() as conn:
            tasks = await message_store.claim(
                conn,
                limit=limit or self.policy.batch_size * 4,
                lease_seconds=self.policy.lease_seconds,
            )
        return await self._process(tasks)

    async def replay_failed(self, tenant_id: str | None = None) -> int:
        """Put messages whose embedding failed every attempt back in the queue."""
        async with self.db.system() as conn:
            return await message_store.replay_failed(conn, tenant_id=tenant_id)

    async def reembed(self, tenant_id: str | None = None) -> int:
        """Queue every embedded message (of one tenant) for embedding again."""
        async with self.db.system() as conn:
            return await message_store.requeue_embedded(conn, tenant_id=tenant_id)

    async def _process(self, tasks: list[EmbeddingTask]) -> EmbedOutcome:
        outcome = EmbedOutcome()
        started = time.perf_counter()
        size = self.policy.batch_size
        for start in range(0, len(tasks), size):
            chunk = tasks[start : start + size]
            await self._embed_chunk(chunk, outcome, split_on_error=len(chunk) > 1)
        if tasks:  # an empty poll is not a job
            self.metrics.embedding_job(
                seconds=time.perf_counter() - started,
                embedded=outcome.embedded,
                failed=outcome.failed,
                gave_up=outcome.gave_up,
            )
        return outcome

    async def _embed_documents(self, texts: list[str]) -> Any:
        """One model call, in a worker thread, traced."""
        with subsegment("embedding", provider=self.embedder.info.provider, texts=len(texts)):
            return await anyio.to_thread.run_sync(self.embedder.embed_documents, texts)

    async def _embed_chunk(
        self, chunk: list[EmbeddingTask], outcome: EmbedOutcome, *, split_on_error: bool
    ) -> None:
        try:
            vectors = await self._embed_documents(
                [
                    embedding_text(t.content, t.context if self.policy.embed_context else None)
                    for t in chunk
                ]
            )
        except Exception as exc:  # any provider failure is recorded on the rows, never raised
            unavailable = isinstance(exc, EmbeddingError) and exc.code in (
                "embedding_unavailable",
                "provider_rate_limited",
            )
            if split_on_error and not unavailable:
                # one poisonous text must not fail its neighbours
                for task in chunk:
                    await self._embed_chunk([task], outcome, split_on_error=False)
                return
            log.warning("embedding failed for %d messages: %s", len(chunk), exc)
            async with self.db.system() as conn:
                gave_up = await message_store.record_failure(
                    conn,
                    tasks=chunk,
                    error=f"{type(exc).__name__}: {exc}",
                    max_attempts=self.policy.max_attempts,
                    retry_base_seconds=self.policy.retry_base_seconds,
                )
            outcome.failed += len(chunk)
            outcome.gave_up += gave_up
            return
        info = self.embedder.info
        async with self.db.system() as conn:
            done = await message_store.store_embeddings(
                conn, tasks=chunk, vectors=vectors, provider=info.provider, model=info.model
            )
        outcome.embedded += len(done)
        if done and self.on_embedded is not None:
            await self.on_embedded(done)


class EmbeddingWorker:
    """Background loop embedding due messages; woken at once by :meth:`notify`."""

    def __init__(self, pipeline: EmbeddingPipeline, poll_seconds: float) -> None:
        self.pipeline = pipeline
        self.poll_seconds = poll_seconds
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def notify(self) -> None:
        self._wake.set()

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="embedding-worker")

    async def stop(self) -> None:
        if self._task is not None:
            await cancel_and_wait([self._task])
            self._task = None

    async def _run(self) -> None:
        while True:
            try:
                outcome = await self.pipeline.embed_due()
                busy = outcome.embedded + outcome.failed > 0
            except asyncio.CancelledError:
                raise
            except Exception:  # the worker must outlive a database blip
                log.exception("embedding worker round failed")
                busy = False
            if busy:
                continue
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self.poll_seconds)
