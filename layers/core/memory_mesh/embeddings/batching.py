"""Query embeddings batched across concurrent requests: one model call for every query
waiting, instead of one call each.

A model call on a batch of short queries costs little more than on one query, and calls
running side by side in threads only fight over the same cores. So one thread at a time
runs the model (the *leader*): it waits ``window_seconds`` for companions (0: none), then
embeds every query queued so far (at most ``max_batch``), and keeps going until its own
query is done. Queries arriving meanwhile queue up and form the next batch; when the
leader's own query is done, the oldest waiting query's thread takes over. One client
alone never waits for anyone; under load, batches form by themselves.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

from memory_mesh.embeddings.base import Embedder, EmbedderInfo, query_vector_from_row

if TYPE_CHECKING:
    from memory_mesh.embeddings.base import Matrix, QueryVector


class QueryBatchEmbedder(Embedder, Protocol):
    """A provider that embeds several *queries* in one call (not documents: some models
    embed the two differently)."""

    def embed_queries(self, texts: Sequence[str]) -> Matrix: ...


class _Waiting:
    __slots__ = ("done", "error", "lead", "text", "vector", "wake")

    def __init__(self, text: str) -> None:
        self.text = text
        self.vector: QueryVector | None = None
        self.error: BaseException | None = None
        self.done = False
        self.lead = False
        self.wake = threading.Event()


class BatchingEmbedder:
    """Wraps a :class:`QueryBatchEmbedder`; ``embed_query`` batches across threads,
    ``embed_documents`` passes through. Thread-safe. ``calls`` and ``queries`` count the
    model calls made for queries and the queries they embedded."""

    def __init__(
        self, inner: QueryBatchEmbedder, *, max_batch: int, window_seconds: float = 0.0
    ) -> None:
        if max_batch < 1:
            raise ValueError("max_batch must be at least 1")
        if window_seconds < 0:
            raise ValueError("window_seconds must not be negative")
        self.inner = inner
        self.max_batch = max_batch
        self.window_seconds = window_seconds
        self.calls = 0
        self.queries = 0
        self._lock = threading.Lock()
        self._queue: list[_Waiting] = []
        self._leading = False

    @property
    def info(self) -> EmbedderInfo:
        return self.inner.info

    def embed_documents(self, texts: Sequence[str]) -> Matrix:
        return self.inner.embed_documents(texts)

    def embed_query(self, text: str) -> QueryVector:
        me = _Waiting(text)
        with self._lock:
            self._queue.append(me)
            if not self._leading:
                self._leading = me.lead = True
        if not me.lead:
            me.wake.wait()  # set when my vector is ready, or when I am to lead
        if not me.done:
            self._lead(me)
        if me.error is not None:
            raise me.error
        assert me.vector is not None
        return me.vector

    def _lead(self, me: _Waiting) -> None:
        """Run batches until ``me`` is done, then hand the lead to the oldest waiting."""
        try:
            if self.window_seconds:
                time.sleep(self.window_seconds)
            while not me.done:
                with self._lock:
                    batch = self._queue[: self.max_batch]
                    del self._queue[: self.max_batch]
                self._run(batch)
        finally:
            with self._lock:
                if self._queue:
                    successor = self._queue[0]
                    successor.lead = True
                    successor.wake.set()
                else:
                    self._leading = False

    def _run(self, batch: list[_Waiting]) -> None:
        try:
            vectors = self.inner.embed_queries([w.text for w in batch])
        except BaseException as exc:  # every waiting caller gets the provider's error
            for waiting in batch:
                waiting.error = exc
        else:
            for waiting, vector in zip(batch, vectors, strict=True):
                waiting.vector = query_vector_from_row(vector)
        with self._lock:
            self.calls += 1
            self.queries += len(batch)
        for waiting in batch:
            waiting.done = True
            waiting.wake.set()
