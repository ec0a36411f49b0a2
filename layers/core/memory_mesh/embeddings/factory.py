"""Builds the configured embedder: provider + resilience (remote ones) + query cache."""

from __future__ import annotations

from collections.abc import Callable
from typing import cast

from memory_mesh.config import Settings
from memory_mesh.embeddings.base import Embedder, EmbeddingConfigError
from memory_mesh.embeddings.batching import BatchingEmbedder, QueryBatchEmbedder
from memory_mesh.embeddings.cache import QueryCacheEmbedder


def _local(settings: Settings) -> Embedder:
    from memory_mesh.embeddings.local import LocalOnnxEmbedder

    return LocalOnnxEmbedder(settings)


def _gemini(settings: Settings) -> Embedder:
    from memory_mesh.embeddings.gemini import GeminiEmbedder
    from memory_mesh.embeddings.resilience import ResilientEmbedder

    return ResilientEmbedder(GeminiEmbedder(settings), settings)


def _bedrock(settings: Settings) -> Embedder:
    from memory_mesh.embeddings.bedrock import TITAN_V2_DIMENSIONS, BedrockEmbedder
    from memory_mesh.embeddings.resilience import ResilientEmbedder

    if settings.embedding_dimensions not in TITAN_V2_DIMENSIONS:
        raise EmbeddingConfigError(
            "MEMORY_EMBEDDING_DIMENSIONS must be 256, 512 or 1024 for bedrock (Titan V2)"
        )
    return ResilientEmbedder(BedrockEmbedder(settings), settings)


def _deterministic(settings: Settings) -> Embedder:
    from memory_mesh.embeddings.deterministic import DeterministicEmbedder

    if settings.environment == "production":
        # hash vectors are meaningless for search; never let them reach real data
        raise EmbeddingConfigError("the deterministic embedder is for tests, not production")
    return DeterministicEmbedder(settings.embedding_dimensions)


# each builder imports its provider module (and its SDK) only when chosen
_BUILDERS: dict[str, Callable[[Settings], Embedder]] = {
    "local": _local,
    "gemini": _gemini,
    "bedrock": _bedrock,
    "deterministic": _deterministic,
}


def build_embedder(settings: Settings) -> Embedder:
    """The embedder chosen by ``MEMORY_EMBEDDING_PROVIDER``, ready to use.

    Remote providers (gemini, bedrock) are wrapped in timeouts, retries and a circuit
    breaker; a provider that embeds several queries in one call (the local model) has
    concurrent queries batched; every provider gets the query LRU cache
    (``embedding_query_cache_size``).
    Raises :class:`EmbeddingConfigError` if the provider cannot be set up or its vectors
    do not have ``embedding_dimensions`` values. The local model loads here (~0.5 s).
    """
    builder = _BUILDERS.get(settings.embedding_provider)
    if builder is None:
        raise EmbeddingConfigError(
            f"MEMORY_EMBEDDING_PROVIDER: unknown provider {settings.embedding_provider!r}"
        )
    embedder = builder(settings)
    if embedder.info.dimensions != settings.embedding_dimensions:
        raise EmbeddingConfigError(
            f"the {embedder.info.provider} model {embedder.info.model} makes "
            f"{embedder.info.dimensions}-dimensional vectors but MEMORY_EMBEDDING_DIMENSIONS "
            f"is {settings.embedding_dimensions}"
        )
    if settings.embedding_query_batch_max > 1 and hasattr(embedder, "embed_queries"):
        # concurrent searches share one model call (embeddings/batching.py)
        embedder = BatchingEmbedder(
            cast(QueryBatchEmbedder, embedder),
            max_batch=settings.embedding_query_batch_max,
            window_seconds=settings.embedding_query_batch_window_ms / 1000,
        )
    return QueryCacheEmbedder(embedder, settings.embedding_query_cache_size)
