"""An in-memory LRU cache of query embeddings: a repeated search skips the model call."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from typing import TYPE_CHECKING

from memory_mesh.embeddings.aio import embed_query_async
from memory_mesh.embeddings.base import Embedder, EmbedderInfo

if TYPE_CHECKING:
    from memory_mesh.embeddings.base import Matrix, QueryVector


class QueryCacheEmbedder:
    """Caches ``embed_query`` results by exact text (LRU, ``size`` entries; 0 disables).

    Documents pass through uncached: they are embedded once and stored. Thread-safe; two
    threads missing the same text at once both call the provider, and one result is kept.
    Each hit returns a copy, so a caller changing its array cannot corrupt the cache.
    """

    def __init__(self, inner: Embedder, size: int) -> None:
        if size < 0:
            raise ValueError("cache size must not be negative")
        self.inner = inner
        self.size = size
        self.hits = 0
        self.misses = 0
        self._entries: OrderedDict[str, QueryVector] = OrderedDict()
        self._lock = threading.Lock()

    @property
    def info(self) -> EmbedderInfo:
        """The wrapped provider's info."""
        return self.inner.info

    def embed_documents(self, texts: Sequence[str]) -> Matrix:
        """Embed texts with the wrapped provider (not cached)."""
        return self.inner.embed_documents(texts)

    def cached_query(self, text: str) -> QueryVector | None:
        """The cached embedding of ``text`` (counted as a hit), or None without calling
        the provider: cheap enough to call on an event loop before handing a miss to a
        worker thread."""
        if self.size == 0:
            return None
        with self._lock:
            cached = self._entries.get(text)
            if cached is None:
                return None
            self._entries.move_to_end(text)
            self.hits += 1
            return cached[:]  # a copy

    def embed_query(self, text: str) -> QueryVector:
        """Embed a query, from the cache when this exact text was embedded recently."""
        if self.size == 0:
            return self.inner.embed_query(text)
        cached = self.cached_query(text)
        if cached is not None:
            return cached
        with self._lock:
            self.misses += 1
        # the provider call happens outside the lock so other queries are not held up
        vector = self.inner.embed_query(text)
        self._store(text, vector)
        return vector

    async def embed_query_async(self, text: str) -> QueryVector:
        """``embed_query`` for a coroutine: a hit is answered on the loop, a miss goes to
        the wrapped provider's own async path (batched) or a worker thread."""
        if self.size == 0:
            return await embed_query_async(self.inner, text)
        cached = self.cached_query(text)
        if cached is not None:
            return cached
        with self._lock:
            self.misses += 1
        vector = await embed_query_async(self.inner, text)
        self._store(text, vector)
        return vector

    def _store(self, text: str, vector: QueryVector) -> None:
        with self._lock:
            self._entries[text] = vector[:]  # a copy
            self._entries.move_to_end(text)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)

    def __len__(self) -> int:
        """Number of cached queries."""
        with self._lock:
            return len(self._entries)

    def clear(self) -> None:
        """Forget every cached query (e.g. after the model changed)."""
        with self._lock:
            self._entries.clear()
