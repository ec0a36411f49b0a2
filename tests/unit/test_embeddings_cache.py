"""The query LRU cache in front of an embedder."""

from __future__ import annotations

import threading
from collections.abc import Sequence

import numpy as np
import pytest

from memory_mesh.embeddings.base import EmbedderInfo, EmbeddingUnavailable, Matrix, Vector
from memory_mesh.embeddings.cache import QueryCacheEmbedder
from memory_mesh.embeddings.deterministic import DeterministicEmbedder


class CountingEmbedder:
    """Deterministic vectors; counts calls; can fail the next N query calls."""

    def __init__(self) -> None:
        self._inner = DeterministicEmbedder(32)
        self.query_calls: list[str] = []
        self.document_calls = 0
        self.fail_next = 0
        self._lock = threading.Lock()

    @property
    def info(self) -> EmbedderInfo:
        return self._inner.info

    def embed_documents(self, texts: Sequence[str]) -> Matrix:
        self.document_calls += 1
        return self._inner.embed_documents(texts)

    def embed_query(self, text: str) -> Vector:
        with self._lock:
            self.query_calls.append(text)
            if self.fail_next:
                self.fail_next -= 1
                raise EmbeddingUnavailable("down")
        return self._inner.embed_query(text)


def test_hits_and_misses() -> None:
    inner = CountingEmbedder()
    cache = QueryCacheEmbedder(inner, size=10)
    first = cache.embed_query("what did I say about Paris?")
    second = cache.embed_query("what did I say about Paris?")
    np.testing.assert_array_equal(first, second)
    np.testing.assert_array_equal(
        first, DeterministicEmbedder(32).embed_query("what did I say about Paris?")
    )
    assert inner.query_calls == ["what did I say about Paris?"]
    assert (cache.hits, cache.misses) == (1, 1)
    cache.embed_query("What did I say about Paris?")  # exact text is the key
    assert cache.misses == 2
    assert cache.info == inner.info


def test_least_recently_used_is_evicted() -> None:
    inner = CountingEmbedder()
    cache = QueryCacheEmbedder(inner, size=2)
    cache.embed_query("a")
    cache.embed_query("b")
    cache.embed_query("a")  # a is now the most recent
    cache.embed_query("c")  # evicts b
    assert len(cache) == 2
    cache.embed_query("a")
    assert inner.query_calls == ["a", "b", "c"]
    cache.embed_query("b")
    assert inner.query_calls == ["a", "b", "c", "b"]
    assert (cache.hits, cache.misses) == (2, 4)


def test_a_caller_mutating_its_vector_does_not_corrupt_the_cache() -> None:
    cache = QueryCacheEmbedder(CountingEmbedder(), size=4)
    vector = cache.embed_query("q")
    expected = vector.tolist()
    vector[0] = 99.0
    hit = cache.embed_query("q")
    assert hit.tolist() == expected
    hit[0] = 99.0
    assert cache.embed_query("q").tolist() == expected


def test_documents_are_not_cached() -> None:
    inner = CountingEmbedder()
    cache = QueryCacheEmbedder(inner, size=4)
    cache.embed_documents(["x", "y"])
    cache.embed_documents(["x", "y"])
    assert inner.document_calls == 2
    assert len(cache) == 0


def test_size_zero_disables_the_cache() -> None:
    inner = CountingEmbedder()
    cache = QueryCacheEmbedder(inner, size=0)
    cache.embed_query("q")
    cache.embed_query("q")
    assert inner.query_calls == ["q", "q"]
    assert len(cache) == 0
    with pytest.raises(ValueError):
        QueryCacheEmbedder(inner, size=-1)


def test_failures_are_not_cached() -> None:
    inner = CountingEmbedder()
    inner.fail_next = 1
    cache = QueryCacheEmbedder(inner, size=4)
    with pytest.raises(EmbeddingUnavailable):
        cache.embed_query("q")
    assert len(cache) == 0
    cache.embed_query("q")
    cache.embed_query("q")
    assert inner.query_calls == ["q", "q"]


def test_clear_forgets_everything() -> None:
    inner = CountingEmbedder()
    cache = QueryCacheEmbedder(inner, size=4)
    cache.embed_query("q")
    cache.clear()
    cache.embed_query("q")
    assert inner.query_calls == ["q", "q"]


def test_concurrent_use_is_consistent() -> None:
    inner = CountingEmbedder()
    cache = QueryCacheEmbedder(inner, size=5)
    texts = [f"query {i}" for i in range(20)]
    expected = {t: DeterministicEmbedder(32).embed_query(t) for t in texts}
    errors: list[BaseException] = []

    def work(offset: int) -> None:
        try:
            for i in range(300):
                text = texts[(i * 7 + offset) % len(texts)]
                np.testing.assert_array_equal(cache.embed_query(text), expected[text])
        except BaseException as exc:  # collected and re-raised on the main thread
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert len(cache) <= 5
    assert cache.hits + cache.misses == 8 * 300
    assert cache.misses == len(inner.query_calls)


def test_cached_query_answers_only_from_the_cache() -> None:
    inner = CountingEmbedder()
    cache = QueryCacheEmbedder(inner, size=4)
    assert cache.cached_query("q") is None  # a miss never calls the provider
    assert inner.query_calls == []
    vector = cache.embed_query("q")
    found = cache.cached_query("q")
    assert found is not None
    np.testing.assert_array_equal(found, vector)
    found[0] = 99.0  # a copy: the cache keeps its own
    assert cache.cached_query("q")[0] == vector[0]  # type: ignore[index]
    assert inner.query_calls == ["q"]
    assert QueryCacheEmbedder(inner, size=0).cached_query("q") is None
