"""The embedder a Lambda HTTP function builds only when a request first embeds."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from memory_mesh.config import Settings
from memory_mesh.embeddings import Embedder, EmbeddingConfigError, build_embedder, circuit_state
from memory_mesh.embeddings.deterministic import DeterministicEmbedder
from memory_mesh.embeddings.lazy import LazyEmbedder


def test_nothing_is_built_until_the_embedder_is_first_used() -> None:
    builds: list[int] = []

    def build() -> Embedder:
        builds.append(1)
        return DeterministicEmbedder(16)

    lazy = LazyEmbedder(build)
    assert not lazy.built and builds == []
    assert lazy.info.dimensions == 16 and builds == [1]
    assert isinstance(lazy, Embedder)
    vector = lazy.embed_query("hello")
    np.testing.assert_array_equal(vector, DeterministicEmbedder(16).embed_query("hello"))
    assert lazy.embed_documents(["a", "b"]).shape == (2, 16)
    assert builds == [1]


def test_concurrent_first_uses_build_one_embedder() -> None:
    builds: list[int] = []
    gate = threading.Barrier(8)

    def build() -> Embedder:
        builds.append(1)
        return DeterministicEmbedder(8)

    lazy = LazyEmbedder(build)

    def use() -> None:
        gate.wait()
        lazy.embed_query("x")

    threads = [threading.Thread(target=use) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert builds == [1]


def test_readiness_sees_the_circuit_of_the_remote_provider_behind_it() -> None:
    settings = Settings(  # type: ignore[call-arg]
        embedding_provider="bedrock", embedding_dimensions=256, aws_region="us-east-1"
    )
    lazy = LazyEmbedder(lambda: build_embedder(settings))
    assert circuit_state(lazy) == "closed"  # follows .inner to the ResilientEmbedder
    assert lazy.built


def test_a_provider_that_cannot_be_set_up_fails_the_first_use_and_the_next() -> None:
    def build() -> Embedder:
        raise EmbeddingConfigError("MEMORY_EMBEDDING_DIMENSIONS must be 256, 512 or 1024")

    lazy = LazyEmbedder(build)
    for _ in range(2):
        with pytest.raises(EmbeddingConfigError, match="256, 512 or 1024"):
            lazy.embed_query("x")
    assert not lazy.built
