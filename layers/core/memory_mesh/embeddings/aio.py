"""Embedding a query from a coroutine, with as few worker-thread hand-offs as possible.

Providers are synchronous (``base.py``); one that also has ``embed_query_async`` (the
query cache, the batching wrapper) is awaited directly, so a cache hit costs no thread
and a model call costs one thread hand-off per batch of queries, not one per query.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import anyio

if TYPE_CHECKING:
    from memory_mesh.embeddings.base import Embedder, QueryVector


async def embed_query_async(embedder: Embedder, text: str) -> QueryVector:
    """``embedder.embed_query(text)`` without blocking the event loop."""
    native = getattr(embedder, "embed_query_async", None)
    if native is not None:
        vector: QueryVector = await native(text)
        return vector
    return await anyio.to_thread.run_sync(embedder.embed_query, text)
