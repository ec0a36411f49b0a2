"""An embedder built on first use, for Lambda functions whose requests rarely embed.

In async mode only the search function and the embedding worker embed; the other HTTP
functions hold an embedder for readiness and inline mode. Building the Bedrock client
costs more CPU than the rest of a first invocation (bench/results/cold_start.md), so a
Lambda container builds it when a request first needs it. A provider that cannot be
set up then fails that request (as it failed the first invocation before).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from memory_mesh.embeddings.base import Embedder, EmbedderInfo

if TYPE_CHECKING:
    from memory_mesh.embeddings.base import Matrix, QueryVector


class LazyEmbedder:
    """Builds the embedder ``build`` returns on first use; then behaves as it."""

    def __init__(self, build: Callable[[], Embedder]) -> None:
        self._build = build
        self._embedder: Embedder | None = None
        self._lock = threading.Lock()  # providers run in worker threads

    @property
    def inner(self) -> Embedder:
        """The real embedder (built now if needed); ``circuit_state`` follows it."""
        if self._embedder is None:
            with self._lock:
                if self._embedder is None:
                    self._embedder = self._build()
        return self._embedder

    @property
    def built(self) -> bool:
        return self._embedder is not None

    @property
    def info(self) -> EmbedderInfo:
        return self.inner.info

    def embed_documents(self, texts: Sequence[str]) -> Matrix:
        return self.inner.embed_documents(texts)

    def embed_query(self, text: str) -> QueryVector:
        return self.inner.embed_query(text)
