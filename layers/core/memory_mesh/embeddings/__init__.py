"""Embedding providers behind one protocol: local ONNX model, Gemini, Bedrock, deterministic.

Use :func:`build_embedder` with the settings. Importing this package does not import
numpy, tenacity, onnxruntime, tokenizers, google-genai or boto3: each is loaded only by
the code that needs it, so Lambda functions that never embed stay light.
"""

from typing import TYPE_CHECKING, Any

from memory_mesh.embeddings import base
from memory_mesh.embeddings.base import (
    CircuitState,
    Embedder,
    EmbedderInfo,
    EmbeddingConfigError,
    EmbeddingError,
    EmbeddingRateLimited,
    EmbeddingUnavailable,
    QueryVector,
    circuit_state,
)
from memory_mesh.embeddings.factory import build_embedder

if TYPE_CHECKING:
    from memory_mesh.embeddings.base import Matrix, Vector


def __getattr__(name: str) -> Any:
    """``Vector`` and ``Matrix`` (numpy array types) are imported when first asked for."""
    return getattr(base, name)


__all__ = [
    "CircuitState",
    "Embedder",
    "EmbedderInfo",
    "EmbeddingConfigError",
    "EmbeddingError",
    "EmbeddingRateLimited",
    "EmbeddingUnavailable",
    "Matrix",
    "QueryVector",
    "Vector",
    "build_embedder",
    "circuit_state",
]
