"""BatchingEmbedder: concurrent queries (from threads, or coroutines on one loop) share
model calls, each caller gets its own vector (or the provider's error), and a lone
caller never waits for anyone."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from memory_mesh.embeddings import EmbedderInfo, EmbeddingUnavailable
from memory_mesh.embeddings.aio import embed_query_async
from memory_mesh.embeddings.batching import BatchingEmbedder
from memory_mesh.embeddings.cache import QueryCacheEmbedder


class GatedModel:
    """Embeds text n as [n, 1, 0...]; the first call waits until ``release`` is set, so
    queries arriving meanwhile must queue."""

    def __init__(self, fail: bool = False) -> None:
        self.calls: list[list[str]] = []
        self.release = threading.Event()
        self.started = threading.Event()
        self.fail = fail

    @property
    def info(self) -> EmbedderInfo:
        return EmbedderInfo("fake", "gated", 4)

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray:
        raise AssertionError("queries must go through embed_queries")

    def embed_query(self, text: str) -> np.ndarray:
        raise AssertionError("queries must go through embed_queries")

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        self.calls.append(list(texts))
        self.started.set()
        self.release.wait(timeout=10)
        if self.fail:
            raise EmbeddingUnavailable("model down")
        return np.array([[float(t), 1.0, 0.0, 0.0] for t in texts], dtype=np.float32)


def _queued(embedder: BatchingEmbedder, count: int) -> None:
    """Wait until ``count`` queries wait behind the running model call."""
    for _ in range(1000):
        with embedder._lock:
            if len(embedder._queue) >= count:
                return
        threading.Event().wait(0.005)
    raise AssertionError("queries did not queue")


def test_queries_arriving_during_a_model_call_are_embedded_together() -> None:
    model = GatedModel()
    embedder = BatchingEmbedder(model, max_batch=32)
    with ThreadPoolExecutor(max_workers=9) as pool:
        first = pool.submit(embedder.embed_query, "0")
        assert model.started.wait(5)
        rest = [pool.submit(embedder.embed_query, str(n)) for n in range(1, 9)]
        _queued(embedder, 8)
        model.release.set()
        vectors = [first.result(5)] + [f.result(5) for f in rest]
    assert model.calls[0] == ["0"]
    assert sorted(model.calls[1]) == [str(n) for n in range(1, 9)]  # one call for 8 queries
    assert len(model.calls) == 2
    for n, vector in enumerate(vectors):
        assert vector[0] == n  # each caller got the vector of its own text
    assert (embedder.calls, embedder.queries) == (2, 9)


def test_batches_hold_at_most_max_batch_queries() -> None:
    model = GatedModel()
    embedder = BatchingEmbedder(model, max_batch=3)
    with ThreadPoolExecutor(max_workers=8) as pool:
        first = pool.submit(embedder.embed_query, "0")
        assert model.started.wait(5)
        rest = [pool.submit(embedder.embed_query, str(n)) for n in range(1, 8)]
        _queued(embedder, 7)
        model.release.set()
        results = [first.result(5)[0]] + [f.result(5)[0] for f in rest]
    assert results == list(range(8))
    assert [len(c) for c in model.calls] == [1, 3, 3, 1]


def test_a_provider_error_reaches_every_query_of_its_batch() -> None:
    model = GatedModel(fail=True)
    embedder = BatchingEmbedder(model, max_batch=32)
    with ThreadPoolExecutor(max_workers=4) as pool:
        futures = [pool.submit(embedder.embed_query, "0")]
        assert model.started.wait(5)
        futures += [pool.submit(embedder.embed_query, str(n)) for n in range(1, 4)]
        _queued(embedder, 3)
        model.release.set()
        for future in futures:
            with pytest.raises(EmbeddingUnavailable):
                future.result(5)
    # and the batcher is not stuck: the next query runs at once
    model.fail = False
    assert embedder.embed_query("7")[0] == 7


def test_one_caller_alone_gets_one_call_per_query() -> None:
    model = GatedModel()
    model.release.set()
    embedder = BatchingEmbedder(model, max_batch=32)
    assert [embedder.embed_query(str(n))[0] for n in range(3)] == [0, 1, 2]
    assert model.calls == [["0"], ["1"], ["2"]]


def test_bad_settings_are_refused() -> None:
    with pytest.raises(ValueError):
        BatchingEmbedder(GatedModel(), max_batch=0)
    with pytest.raises(ValueError):
        BatchingEmbedder(GatedModel(), max_batch=2, window_seconds=-1)


# --- from coroutines (the search service): queued on the loop, a thread per batch -------


async def _until_waiting(embedder: BatchingEmbedder, count: int) -> None:
    """Wait until ``count`` coroutines wait behind the running model call."""
    loop = asyncio.get_running_loop()
    for _ in range(1000):
        queue = embedder._loops.get(loop)
        if queue is not None and len(queue.items) >= count:
            return
        await asyncio.sleep(0.005)
    raise AssertionError("queries did not queue")


async def _started(model: GatedModel) -> None:
    assert await asyncio.to_thread(model.started.wait, 5)


async def test_coroutines_arriving_during_a_model_call_share_the_next_call() -> None:
    model = GatedModel()
    embedder = BatchingEmbedder(model, max_batch=32)
    first = asyncio.create_task(embedder.embed_query_async("0"))
    await _started(model)
    rest = [asyncio.create_task(embedder.embed_query_async(str(n))) for n in range(1, 9)]
    await _until_waiting(embedder, 8)
    model.release.set()
    vectors = await asyncio.gather(first, *rest)
    assert model.calls == [["0"], [str(n) for n in range(1, 9)]]
    assert [int(v[0]) for v in vectors] == list(range(9))  # each its own text's vector
    assert (embedder.calls, embedder.queries) == (2, 9)


async def test_coroutine_batches_hold_at_most_max_batch_queries() -> None:
    model = GatedModel()
    embedder = BatchingEmbedder(model, max_batch=3)
    first = asyncio.create_task(embedder.embed_query_async("0"))
    await _started(model)
    rest = [asyncio.create_task(embedder.embed_query_async(str(n))) for n in range(1, 8)]
    await _until_waiting(embedder, 7)
    model.release.set()
    vectors = await asyncio.gather(first, *rest)
    assert [int(v[0]) for v in vectors] == list(range(8))
    assert [len(c) for c in model.calls] == [1, 3, 3, 1]


async def test_a_provider_error_reaches_every_coroutine_of_its_batch() -> None:
    model = GatedModel(fail=True)
    embedder = BatchingEmbedder(model, max_batch=32)
    tasks = [asyncio.create_task(embedder.embed_query_async("0"))]
    await _started(model)
    tasks += [asyncio.create_task(embedder.embed_query_async(str(n))) for n in range(1, 4)]
    await _until_waiting(embedder, 3)
    model.release.set()
    results = await asyncio.gather(*tasks, return_exceptions=True)
    assert all(isinstance(r, EmbeddingUnavailable) for r in results)
    model.fail = False  # and nothing is stuck: the next query runs at once
    assert (await embedder.embed_query_async("7"))[0] == 7


async def test_a_cancelled_caller_is_left_out_and_the_others_are_answered() -> None:
    model = GatedModel()
    embedder = BatchingEmbedder(model, max_batch=32)
    first = asyncio.create_task(embedder.embed_query_async("0"))
    await _started(model)
    gone = asyncio.create_task(embedder.embed_query_async("1"))
    kept = asyncio.create_task(embedder.embed_query_async("2"))
    await _until_waiting(embedder, 2)
    gone.cancel()  # e.g. the client hung up
    model.release.set()
    assert (await first)[0] == 0 and (await kept)[0] == 2
    assert gone.cancelled()
    assert model.calls == [["0"], ["2"]]


async def test_the_cache_answers_a_repeated_coroutine_query_without_the_model() -> None:
    model = GatedModel()
    model.release.set()
    cached = QueryCacheEmbedder(BatchingEmbedder(model, max_batch=32), size=8)
    assert (await embed_query_async(cached, "5"))[0] == 5
    assert (await embed_query_async(cached, "5"))[0] == 5
    assert model.calls == [["5"]]
    assert (cached.hits, cached.misses) == (1, 1)
