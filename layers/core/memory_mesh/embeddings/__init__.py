"""Embedding providers behind one protocol: local ONNX model, Gemini, Bedrock, deterministic.

Use :func:`build_embedder` with the settings. Importing this package does not import
onnxruntime, tokenizers, google-genai or boto3: each is loaded only by the provider that
needs it, so Lambda functions that never embed stay light.
"""

from memory_mesh.embeddings.base import (
    Embedder,
    EmbedderInfo,
    EmbeddingConfigError,
    EmbeddingError,
    EmbeddingRateLimited,
    EmbeddingUnavailable,
    Matrix,
    Vector,
)
from memory_mesh.embeddings.factory import build_embedder
from memory_mesh.embeddings.resilience import CircuitState, circuit_state

__all__ = [
    "CircuitState",
    "Embedder",
    "EmbedderInfo",
    "EmbeddingConfigError",
    "EmbeddingError",
    "EmbeddingRateLimited",
    "EmbeddingUnavailable",
    "Matrix",
    "Vector",
    "build_embedder",
    "circuit_state",
]
