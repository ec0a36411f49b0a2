"""The Bedrock (Titan Text Embeddings V2) provider against botocore's Stubber (no network)."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from typing import Any

import boto3
import numpy as np
import pytest
from botocore.exceptions import ReadTimeoutError
from botocore.response import StreamingBody
from botocore.stub import ANY, Stubber

from memory_mesh.config import Settings
from memory_mesh.embeddings.base import (
    EmbeddingConfigError,
    EmbeddingError,
    EmbeddingRateLimited,
    EmbeddingUnavailable,
)
from memory_mesh.embeddings.bedrock import BedrockEmbedder, make_client
from memory_mesh.embeddings.deterministic import DeterministicEmbedder
from memory_mesh.embeddings.resilience import ResilientEmbedder

MODEL_ID = "amazon.titan-embed-text-v2:0"


def make_settings(**overrides: object) -> Settings:
    values: dict[str, object] = {
        "embedding_provider": "bedrock",
        "embedding_dimensions": 256,
        "aws_region": "eu-west-1",
        "bedrock_model_id": MODEL_ID,
        "embedding_timeout_seconds": 7.0,
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


@pytest.fixture
def client() -> Any:
    # explicit fake credentials: the credential chain is never consulted
    return boto3.client(
        "bedrock-runtime",
        region_name="eu-west-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


@pytest.fixture
def stubber(client: Any) -> Iterator[Stubber]:
    with Stubber(client) as stub:
        yield stub
        stub.assert_no_pending_responses()


@pytest.fixture
def sent_bodies(client: Any) -> list[dict[str, Any]]:
    bodies: list[dict[str, Any]] = []

    def capture(params: dict[str, Any], **_: Any) -> None:
        bodies.append(json.loads(params["body"]))

    client.meta.events.register("provide-client-params.bedrock-runtime.InvokeModel", capture)
    return bodies


def titan_answer(text: str, dims: int = 256) -> dict[str, Any]:
    vector = (DeterministicEmbedder(dims).embed_documents([text])[0] * 0.9).tolist()
    data = json.dumps({"embedding": vector, "inputTextTokenCount": 3}).encode()
    return {"body": StreamingBody(io.BytesIO(data), len(data)), "contentType": "application/json"}


EXPECTED_PARAMS = {
    "modelId": MODEL_ID,
    "body": ANY,
    "contentType": "application/json",
    "accept": "application/json",
}


def test_one_call_per_text_with_the_titan_body(
    client: Any, stubber: Stubber, sent_bodies: list[dict[str, Any]]
) -> None:
    texts = ["first memory", "second memory", "third memory"]
    for text in texts:
        stubber.add_response("invoke_model", titan_answer(text), EXPECTED_PARAMS)
    embedder = BedrockEmbedder(make_settings(), client=client)
    vectors = embedder.embed_documents(texts)
    assert sent_bodies == [
        {"inputText": text, "dimensions": 256, "normalize": True} for text in texts
    ]
    assert vectors.shape == (3, 256)
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-6)
    np.testing.assert_allclose(
        vectors, DeterministicEmbedder(256).embed_documents(texts), atol=1e-6
    )
    assert embedder.info.provider == "bedrock"
    assert embedder.info.model == MODEL_ID
    assert embedder.info.dimensions == 256


def test_query(client: Any, stubber: Stubber, sent_bodies: list[dict[str, Any]]) -> None:
    stubber.add_response("invoke_model", titan_answer("where is my order?"), EXPECTED_PARAMS)
    vector = BedrockEmbedder(make_settings(), client=client).embed_query("where is my order?")
    assert vector.typecode == "f" and len(vector) == 256
    # the vector embed_documents makes of the same answer, value for value
    assert vector.tolist() == DeterministicEmbedder(256).embed_query("where is my order?").tolist()
    assert sent_bodies[0]["inputText"] == "where is my order?"


def test_empty_list_makes_no_call(client: Any, stubber: Stubber) -> None:
    assert BedrockEmbedder(make_settings(), client=client).embed_documents([]).shape == (0, 256)


@pytest.mark.parametrize(
    ("aws_code", "status", "expected", "code"),
    [
        ("ThrottlingException", 429, EmbeddingRateLimited, "provider_rate_limited"),
        ("ServiceQuotaExceededException", 400, EmbeddingRateLimited, "provider_rate_limited"),
        ("ServiceUnavailableException", 503, EmbeddingUnavailable, "embedding_unavailable"),
        ("InternalServerException", 500, EmbeddingUnavailable, "embedding_unavailable"),
        ("ModelTimeoutException", 408, EmbeddingUnavailable, "embedding_unavailable"),
        ("ModelNotReadyException", 429, EmbeddingUnavailable, "embedding_unavailable"),
        ("AccessDeniedException", 403, EmbeddingConfigError, "embedding_misconfigured"),
        ("ResourceNotFoundException", 404, EmbeddingConfigError, "embedding_misconfigured"),
        ("ValidationException", 400, EmbeddingError, "embedding_failed"),
    ],
)
def test_client_errors_are_mapped(
    client: Any,
    stubber: Stubber,
    aws_code: str,
    status: int,
    expected: type[EmbeddingError],
    code: str,
) -> None:
    stubber.add_client_error(
        "invoke_model",
        service_error_code=aws_code,
        service_message="nope",
        http_status_code=status,
    )
    with pytest.raises(expected, match=aws_code) as info:
        BedrockEmbedder(make_settings(), client=client).embed_documents(["x"])
    assert type(info.value) is expected
    assert info.value.code == code


def test_a_read_timeout_is_unavailable() -> None:
    class TimingOutClient:
        def invoke_model(self, **_: Any) -> Any:
            raise ReadTimeoutError(endpoint_url="https://bedrock-runtime.eu-west-1.amazonaws.com")

    with pytest.raises(EmbeddingUnavailable, match="Read timeout"):
        BedrockEmbedder(make_settings(), client=TimingOutClient()).embed_query("x")


def test_wrong_dimension_is_a_config_error(client: Any, stubber: Stubber) -> None:
    stubber.add_response("invoke_model", titan_answer("x", dims=1024), EXPECTED_PARAMS)
    with pytest.raises(EmbeddingConfigError, match="1024 dimensions, expected 256"):
        BedrockEmbedder(make_settings(), client=client).embed_query("x")


def test_an_answer_without_embedding_is_an_error(client: Any, stubber: Stubber) -> None:
    data = b'{"message": "unexpected"}'
    stubber.add_response(
        "invoke_model",
        {"body": StreamingBody(io.BytesIO(data), len(data)), "contentType": "application/json"},
        EXPECTED_PARAMS,
    )
    with pytest.raises(EmbeddingError, match="without an embedding"):
        BedrockEmbedder(make_settings(), client=client).embed_query("x")


def test_throttling_is_retried_by_the_resilient_wrapper(client: Any, stubber: Stubber) -> None:
    stubber.add_client_error(
        "invoke_model", service_error_code="ThrottlingException", http_status_code=429
    )
    stubber.add_response("invoke_model", titan_answer("a"), EXPECTED_PARAMS)
    stubber.add_response("invoke_model", titan_answer("b"), EXPECTED_PARAMS)
    settings = make_settings(embedding_max_retries=2)
    sleeps: list[float] = []
    embedder = ResilientEmbedder(
        BedrockEmbedder(settings, client=client), settings, sleep=sleeps.append, timeout=None
    )
    vectors = embedder.embed_documents(["a", "b"])
    assert vectors.shape == (2, 256)
    assert len(sleeps) == 1  # only the throttled request of "a" was retried
    np.testing.assert_allclose(
        vectors, DeterministicEmbedder(256).embed_documents(["a", "b"]), atol=1e-6
    )


def test_make_client_sets_region_timeouts_and_no_sdk_retries(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    bedrock = make_client(make_settings(aws_region="us-west-2", embedding_timeout_seconds=7.0))
    assert bedrock.meta.region_name == "us-west-2"
    assert bedrock.meta.config.connect_timeout == 7.0
    assert bedrock.meta.config.read_timeout == 7.0
    assert bedrock.meta.config.retries["total_max_attempts"] == 1
