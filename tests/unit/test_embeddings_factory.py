"""build_embedder: provider choice, wrappers, dimension check, and a light package import."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import memory_mesh
from memory_mesh.config import Settings
from memory_mesh.embeddings import (
    Embedder,
    EmbeddingConfigError,
    build_embedder,
    circuit_state,
)
from memory_mesh.embeddings import factory as factory_module
from memory_mesh.embeddings.bedrock import BedrockEmbedder
from memory_mesh.embeddings.cache import QueryCacheEmbedder
from memory_mesh.embeddings.deterministic import DeterministicEmbedder
from memory_mesh.embeddings.gemini import GeminiEmbedder
from memory_mesh.embeddings.resilience import ResilientEmbedder


def make_settings(**overrides: object) -> Settings:
    values: dict[str, object] = {
        "environment": "test",
        "embedding_provider": "deterministic",
        "embedding_dimensions": 64,
        "embedding_query_cache_size": 16,
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


def test_deterministic_is_cached_but_not_wrapped_in_resilience() -> None:
    embedder = build_embedder(make_settings())
    assert isinstance(embedder, QueryCacheEmbedder)
    assert embedder.size == 16
    assert isinstance(embedder.inner, DeterministicEmbedder)
    assert embedder.info.provider == "deterministic"
    assert embedder.info.dimensions == 64
    assert isinstance(embedder, Embedder)
    assert circuit_state(embedder) is None
    first = embedder.embed_query("q")
    np.testing.assert_array_equal(first, embedder.embed_query("q"))
    assert (embedder.hits, embedder.misses) == (1, 1)


def test_cache_size_comes_from_settings() -> None:
    embedder = build_embedder(make_settings(embedding_query_cache_size=0))
    assert isinstance(embedder, QueryCacheEmbedder)
    embedder.embed_query("q")
    embedder.embed_query("q")
    assert len(embedder) == 0


def test_gemini_is_resilient_and_cached() -> None:
    embedder = build_embedder(
        make_settings(
            embedding_provider="gemini", gemini_api_key="test-key", embedding_dimensions=768
        )
    )
    assert isinstance(embedder, QueryCacheEmbedder)
    assert isinstance(embedder.inner, ResilientEmbedder)
    assert isinstance(embedder.inner.inner, GeminiEmbedder)
    assert embedder.info.provider == "gemini"
    assert embedder.info.dimensions == 768
    assert circuit_state(embedder) == "closed"


def test_bedrock_is_resilient_and_cached(monkeypatch: pytest.MonkeyPatch) -> None:
    # fake credentials so boto3 never walks the real credential chain
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    embedder = build_embedder(
        make_settings(
            embedding_provider="bedrock", embedding_dimensions=512, aws_region="eu-central-1"
        )
    )
    assert isinstance(embedder, QueryCacheEmbedder)
    assert isinstance(embedder.inner, ResilientEmbedder)
    assert isinstance(embedder.inner.inner, BedrockEmbedder)
    assert embedder.info.model == "amazon.titan-embed-text-v2:0"
    assert embedder.info.dimensions == 512
    assert circuit_state(embedder) == "closed"


def test_a_provider_of_the_wrong_dimension_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(
        factory_module._BUILDERS, "deterministic", lambda settings: DeterministicEmbedder(32)
    )
    with pytest.raises(EmbeddingConfigError, match=r"32-dimensional.*DIMENSIONS is 64") as info:
        build_embedder(make_settings(embedding_dimensions=64))
    assert info.value.code == "embedding_misconfigured"


def test_the_deterministic_provider_is_refused_in_production() -> None:
    with pytest.raises(EmbeddingConfigError, match="not production"):
        build_embedder(
            make_settings(environment="production", jwt_secret_key=secrets.token_urlsafe(32))
        )


def test_importing_the_package_loads_no_provider_sdk() -> None:
    code = (
        "import json, sys\n"
        "import memory_mesh.embeddings\n"
        "from memory_mesh.embeddings import build_embedder\n"
        "heavy = ['onnxruntime', 'tokenizers', 'google.genai', 'boto3', 'botocore']\n"
        "print(json.dumps([name for name in heavy if name in sys.modules]))\n"
    )
    core = str(Path(memory_mesh.__file__).resolve().parents[1])
    env = {**os.environ, "PYTHONPATH": core}
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert json.loads(out.stdout) == []
