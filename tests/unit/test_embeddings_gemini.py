"""The Gemini provider against a fake ``google.genai`` client (no network, real SDK types)."""

from __future__ import annotations

from typing import Any

import httpx
import numpy as np
import pytest
from google.genai import errors, types

from memory_mesh.config import Settings
from memory_mesh.embeddings.base import (
    EmbeddingConfigError,
    EmbeddingError,
    EmbeddingRateLimited,
    EmbeddingUnavailable,
)
from memory_mesh.embeddings.deterministic import DeterministicEmbedder
from memory_mesh.embeddings.gemini import GeminiEmbedder
from memory_mesh.embeddings.resilience import ResilientEmbedder


def raw_vector(text: str, dims: int) -> list[float]:
    # not unit length, as shortened Gemini vectors are not
    values: list[float] = (DeterministicEmbedder(dims).embed_documents([text])[0] * 3.5).tolist()
    return values


class FakeModels:
    def __init__(self, dims: int) -> None:
        self.dims = dims
        self.calls: list[dict[str, Any]] = []
        self.errors: list[Exception] = []
        self.answer_dims: int | None = None
        self.drop_one = False

    def embed_content(self, *, model: str, contents: Any, config: Any = None) -> Any:
        self.calls.append({"model": model, "contents": list(contents), "config": config})
        if self.errors:
            raise self.errors.pop(0)
        dims = self.answer_dims or self.dims
        embeddings = [types.ContentEmbedding(values=raw_vector(t, dims)) for t in contents]
        if self.drop_one:
            embeddings = embeddings[:-1]
        return types.EmbedContentResponse(embeddings=embeddings)


class FakeClient:
    def __init__(self, dims: int) -> None:
        self.models = FakeModels(dims)


def make_settings(**overrides: object) -> Settings:
    values: dict[str, object] = {
        "embedding_provider": "gemini",
        "gemini_api_key": "test-key",
        "gemini_model": "gemini-embedding-001",
        "embedding_dimensions": 768,
        "embedding_batch_size": 32,
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


def make(**overrides: object) -> tuple[GeminiEmbedder, FakeModels]:
    settings = make_settings(**overrides)
    client = FakeClient(settings.embedding_dimensions)
    return GeminiEmbedder(settings, client=client), client.models


def api_error(code: int, status: str) -> errors.APIError:
    body = {"error": {"code": code, "message": f"{status} happened", "status": status}}
    if code >= 500:
        return errors.ServerError(code, body)
    return errors.ClientError(code, body)


def test_info() -> None:
    embedder, _ = make()
    assert embedder.info.provider == "gemini"
    assert embedder.info.model == "gemini-embedding-001"
    assert embedder.info.dimensions == 768


@pytest.mark.parametrize(
    ("batch_size", "count", "expected"),
    [(256, 250, [100, 100, 50]), (32, 70, [32, 32, 6]), (100, 100, [100])],
)
def test_requests_hold_at_most_100_texts(batch_size: int, count: int, expected: list[int]) -> None:
    embedder, models = make(embedding_batch_size=batch_size, embedding_dimensions=64)
    texts = [f"message number {i}" for i in range(count)]
    vectors = embedder.embed_documents(texts)
    assert [len(call["contents"]) for call in models.calls] == expected
    assert [t for call in models.calls for t in call["contents"]] == texts
    assert vectors.shape == (count, 64)
    # rows stay in the order of the texts across requests
    np.testing.assert_allclose(vectors, DeterministicEmbedder(64).embed_documents(texts), atol=1e-6)


def test_task_types_model_and_dimensionality() -> None:
    embedder, models = make(embedding_dimensions=256)
    embedder.embed_documents(["stored text"])
    embedder.embed_query("search text")
    document_call, query_call = models.calls
    for call in (document_call, query_call):
        assert call["model"] == "gemini-embedding-001"
        assert isinstance(call["config"], types.EmbedContentConfig)
        assert call["config"].output_dimensionality == 256
    assert document_call["config"].task_type == "RETRIEVAL_DOCUMENT"
    assert query_call["config"].task_type == "RETRIEVAL_QUERY"
    assert query_call["contents"] == ["search text"]


def test_vectors_are_normalised_here() -> None:
    embedder, _ = make(embedding_dimensions=128)
    vectors = embedder.embed_documents(["a b c", "d e f"])
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-6)
    query = embedder.embed_query("a b c")
    assert query.typecode == "f" and len(query) == 128
    assert np.linalg.norm(query) == pytest.approx(1.0, abs=1e-6)
    assert query.tolist() == vectors[0].tolist()  # the same arithmetic, without numpy


def test_empty_list_makes_no_request() -> None:
    embedder, models = make()
    assert embedder.embed_documents([]).shape == (0, 768)
    assert models.calls == []


@pytest.mark.parametrize(
    ("error", "expected", "code"),
    [
        (api_error(429, "RESOURCE_EXHAUSTED"), EmbeddingRateLimited, "provider_rate_limited"),
        (api_error(503, "UNAVAILABLE"), EmbeddingUnavailable, "embedding_unavailable"),
        (api_error(500, "INTERNAL"), EmbeddingUnavailable, "embedding_unavailable"),
        (api_error(408, "DEADLINE_EXCEEDED"), EmbeddingUnavailable, "embedding_unavailable"),
        (httpx.ReadTimeout("timed out"), EmbeddingUnavailable, "embedding_unavailable"),
        (httpx.ConnectError("no route"), EmbeddingUnavailable, "embedding_unavailable"),
        (api_error(401, "UNAUTHENTICATED"), EmbeddingConfigError, "embedding_misconfigured"),
        (api_error(403, "PERMISSION_DENIED"), EmbeddingConfigError, "embedding_misconfigured"),
        (api_error(404, "NOT_FOUND"), EmbeddingConfigError, "embedding_misconfigured"),
        (api_error(400, "INVALID_ARGUMENT"), EmbeddingError, "embedding_failed"),
    ],
)
def test_errors_are_mapped(error: Exception, expected: type[EmbeddingError], code: str) -> None:
    embedder, models = make()
    models.errors = [error]
    with pytest.raises(expected) as info:
        embedder.embed_documents(["x"])
    assert type(info.value) is expected
    assert info.value.code == code
    assert info.value.__cause__ is error


def test_wrong_dimension_in_the_answer_is_a_config_error() -> None:
    embedder, models = make(embedding_dimensions=256)
    models.answer_dims = 3072
    with pytest.raises(EmbeddingConfigError, match="expected 256 dimensions"):
        embedder.embed_documents(["x"])


def test_missing_embeddings_in_the_answer_are_an_error() -> None:
    embedder, models = make()
    models.drop_one = True
    with pytest.raises(EmbeddingError, match="1 embeddings for 2 texts"):
        embedder.embed_documents(["x", "y"])


def test_rate_limit_is_retried_by_the_resilient_wrapper() -> None:
    settings = make_settings(embedding_dimensions=32, embedding_max_retries=2)
    client = FakeClient(32)
    client.models.errors = [api_error(429, "RESOURCE_EXHAUSTED")]
    sleeps: list[float] = []
    embedder = ResilientEmbedder(
        GeminiEmbedder(settings, client=client), settings, sleep=sleeps.append, timeout=None
    )
    vector = embedder.embed_query("q")
    assert len(vector) == 32
    assert len(client.models.calls) == 2
    assert len(sleeps) == 1


def test_a_real_client_is_built_offline_with_timeout_and_no_sdk_retries() -> None:
    from memory_mesh.embeddings.gemini import make_client

    client = make_client(make_settings(embedding_timeout_seconds=12.5))
    options = client._api_client._http_options  # type: ignore[attr-defined]
    assert options.timeout == 12_500  # milliseconds
    assert options.retry_options.attempts == 1
    assert GeminiEmbedder(make_settings()).info.provider == "gemini"
