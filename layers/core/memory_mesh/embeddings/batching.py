"""Query embeddings batched across concurrent requests: one model call for every query
waiting, instead of one call each.

A model call on a batch of short queries costs little more than on one query, and calls
running side by side in threads only fight over the same cores. So one model call runs at
a time: it waits ``window_seconds`` for companions (0: none), then embeds every query
queued so far (at most ``max_batch``); queries arriving meanwhile queue up and form the
next batch. One client alone never waits for anyone; under load, batches form by
themselves.

Two ways in, same batching:
- ``embed_query_async`` (the search service, on the event loop): queries queue, one
  worker thread embeds batch after batch while queries keep coming, and the loop is
  woken once per batch. Handing every query to its own thread, which then waited for
  the batch, cost two thread switches and a loop wake-up per query
  (bench/results/concurrency_throughput.md).
- ``embed_query`` (any thread): one thread at a time runs the model (the *leader*) and
  keeps going until its own query is done; when it is, the oldest waiting query's thread
  takes over.
"""

from __future__ import annotations

import asyncio
import threading
import time
import weakref
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


class _LoopQueue:
    """Queries waiting on one event loop (appended there, taken by the draining thread)."""

    __slots__ = ("draining", "items", "lock")

    def __init__(self) -> None:
        self.items: list[tuple[str, asyncio.Future[QueryVector]]] = []
        self.draining = False  # a worker thread is embedding this loop's queries
        self.lock = threading.Lock()


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
        self._loops: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _LoopQueue] = (
            weakref.WeakKeyDictionary()
        )

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

    async def embed_query_async(self, text: str) -> QueryVector:
        """``embed_query`` for a coroutine: queued, and embedded by one worker thread
        that runs batch after batch while queries keep coming (no thread hand-off between
        batches) and wakes the loop once per batch. A caller cancelled meanwhile is
        dropped."""
        loop = asyncio.get_running_loop()
        waiting = self._loops.get(loop)
        if waiting is None:
            waiting = self._loops.setdefault(loop, _LoopQueue())
        future: asyncio.Future[QueryVector] = loop.create_future()
        with waiting.lock:
            waiting.items.append((text, future))
            start = not waiting.draining
            waiting.draining = True
        if start:
            loop.run_in_executor(None, self._drain, loop, waiting)
        return await future

    def _drain(self, loop: asyncio.AbstractEventLoop, waiting: _LoopQueue) -> None:
        """In a worker thread: embed the loop's queued queries, a batch per model call,
        until none is left."""
        if self.window_seconds:
            time.sleep(self.window_seconds)
        while True:
            with waiting.lock:
                batch = waiting.items[: self.max_batch]
                del waiting.items[: self.max_batch]
                if not batch:
                    waiting.draining = False
                    return
            # callers cancelled meanwhile (a read of the future's state from this
            # thread: at worst a query cancelled this instant is embedded for nobody)
            batch = [item for item in batch if not item[1].done()]
            if not batch:
                continue
            try:
                outcome: list[QueryVector] | BaseException = self._embed(
                    [text for text, _ in batch]
                )
            except Exception as exc:  # every waiting caller gets the provider's error
                outcome = exc
            try:
                loop.call_soon_threadsafe(_deliver, batch, outcome)
            except RuntimeError:  # the loop closed: nobody waits any more
                with waiting.lock:
                    waiting.items.clear()
                    waiting.draining = False
                return

    def _embed(self, texts: list[str]) -> list[QueryVector]:
        matrix = self.inner.embed_queries(texts)
        with self._lock:
            self.calls += 1
            self.queries += len(texts)
        return [query_vector_from_row(row) for row in matrix]

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


def _deliver(
    batch: list[tuple[str, asyncio.Future[QueryVector]]], outcome: list[QueryVector] | BaseException
) -> None:
    """On the loop: each waiting caller gets its vector, or the batch's error."""
    for index, (_text, future) in enumerate(batch):
        if future.done():  # cancelled meanwhile
            continue
        if isinstance(outcome, BaseException):
            future.set_exception(outcome)
        else:
            future.set_result(outcome[index])
