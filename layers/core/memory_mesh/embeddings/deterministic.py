"""A deterministic, I/O-free embedder for unit tests (never for production data).

Each text becomes a hashed bag of features (lower-cased word tokens, plus character
trigrams of each word at a lower weight) projected onto ``dimensions`` signed buckets and
L2-normalised. The same text always gives the same vector, in every process, and texts
sharing words are closer than texts sharing none.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from functools import lru_cache
from typing import TYPE_CHECKING

from memory_mesh.embeddings.base import (
    EmbedderInfo,
    check_texts,
    empty_matrix,
    l2_normalize,
    normalized_query_vector,
)

if TYPE_CHECKING:
    from memory_mesh.embeddings.base import Matrix, QueryVector

_WORD = re.compile(r"\w+", re.UNICODE)
_WORD_WEIGHT = 1.0
_TRIGRAM_WEIGHT = 0.25
# gives the empty text a vector of its own instead of an all-zero one
_EMPTY_FEATURE = "\x00empty"


@lru_cache(maxsize=65_536)
def _bucket(feature: str, dimensions: int) -> tuple[int, float]:
    # blake2b, not hash(): hash() is salted per process and tests need stable vectors
    digest = hashlib.blake2b(feature.encode("utf-8"), digest_size=8).digest()
    value = int.from_bytes(digest, "little")
    return value % dimensions, 1.0 if (value >> 63) & 1 else -1.0


def _features(text: str) -> list[tuple[str, float]]:
    words = _WORD.findall(text.lower())
    if not words:
        return [(_EMPTY_FEATURE, 1.0)]
    features: list[tuple[str, float]] = []
    for word in words:
        features.append(("w:" + word, _WORD_WEIGHT))
        padded = f"#{word}#"
        features.extend(("t:" + padded[i : i + 3], _TRIGRAM_WEIGHT) for i in range(len(padded) - 2))
    return features


class DeterministicEmbedder:
    """Hash-based embedder: provider ``deterministic``, model ``hash-v1``."""

    def __init__(self, dimensions: int = 384) -> None:
        if dimensions < 1:
            raise ValueError("dimensions must be positive")
        self._info = EmbedderInfo(provider="deterministic", model="hash-v1", dimensions=dimensions)

    @property
    def info(self) -> EmbedderInfo:
        """Provider ``deterministic``, model ``hash-v1``, the configured dimensions."""
        return self._info

    def embed_documents(self, texts: Sequence[str]) -> Matrix:
        """Embed texts; returns shape ``(len(texts), dimensions)``, float32, unit rows."""
        items = check_texts(texts)
        if not items:
            return empty_matrix(self._info.dimensions)
        import numpy as np  # documents only: a search embeds its query without numpy

        return l2_normalize(np.asarray([self._raw(text) for text in items], dtype=np.float64))

    def embed_query(self, text: str) -> QueryVector:
        """Embed one query: the vector :meth:`embed_documents` gives ``text``."""
        (item,) = check_texts([text])
        return normalized_query_vector(self._raw(item), self._info.dimensions, "deterministic")

    def _raw(self, text: str) -> list[float]:
        """The text's features summed into signed buckets (not normalised)."""
        dimensions = self._info.dimensions
        row = [0.0] * dimensions
        for feature, weight in _features(text):
            index, sign = _bucket(feature, dimensions)
            row[index] += sign * weight
        if not any(row):  # features can cancel out in a tiny space: the empty-text vector
            index, sign = _bucket(_EMPTY_FEATURE, dimensions)
            row[index] = sign
        return row
