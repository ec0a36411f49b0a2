"""The Bedrock provider: Amazon Titan Text Embeddings V2 through boto3 ``bedrock-runtime``.

Titan V2 takes one text per ``InvokeModel`` call and makes 256, 512 or 1024 dimensions.
botocore's own retries are off (one attempt per call):
:class:`~memory_mesh.embeddings.resilience.ResilientEmbedder` does retries.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from memory_mesh.config import Settings
from memory_mesh.embeddings.base import (
    EmbedderInfo,
    EmbeddingConfigError,
    EmbeddingError,
    EmbeddingRateLimited,
    EmbeddingUnavailable,
    check_dimensions,
    check_texts,
    empty_matrix,
    l2_normalize,
    normalized_query_vector,
)

if TYPE_CHECKING:
    from memory_mesh.embeddings.base import Matrix, QueryVector

#: Vector sizes Titan Text Embeddings V2 can produce.
TITAN_V2_DIMENSIONS = (256, 512, 1024)

_RATE_LIMIT_CODES = frozenset(
    {"ThrottlingException", "ServiceQuotaExceededException", "TooManyRequestsException"}
)
_CONFIG_CODES = frozenset(
    {
        "AccessDeniedException",
        "ResourceNotFoundException",
        "UnrecognizedClientException",
        "InvalidSignatureException",
    }
)
_REJECTED_CODES = frozenset({"ValidationException"})


def make_client(settings: Settings) -> Any:
    """A boto3 ``bedrock-runtime`` client: settings' region and timeouts, no SDK retries."""
    import boto3
    from botocore.config import Config
    from botocore.exceptions import BotoCoreError

    config = Config(
        connect_timeout=settings.embedding_timeout_seconds,
        read_timeout=settings.embedding_timeout_seconds,
        retries={"total_max_attempts": 1, "mode": "standard"},
    )
    try:
        return boto3.client("bedrock-runtime", region_name=settings.aws_region, config=config)
    except BotoCoreError as exc:  # e.g. NoRegionError
        raise EmbeddingConfigError(
            f"cannot create the bedrock-runtime client (set MEMORY_AWS_REGION?): {exc}"
        ) from exc


class BedrockEmbedder:
    """Embeds through Bedrock's InvokeModel. Pass ``client`` to use a prepared or stubbed one."""

    def __init__(self, settings: Settings, client: Any | None = None) -> None:
        self._client = client if client is not None else make_client(settings)
        self._model_id = settings.bedrock_model_id
        self._dimensions = settings.embedding_dimensions
        #: texts per HTTP request (read by ResilientEmbedder to protect each request)
        self.max_texts_per_request = 1
        self._info = EmbedderInfo(
            provider="bedrock", model=settings.bedrock_model_id, dimensions=self._dimensions
        )

    @property
    def info(self) -> EmbedderInfo:
        """Provider ``bedrock``, the model id and the configured dimensions."""
        return self._info

    def embed_documents(self, texts: Sequence[str]) -> Matrix:
        """Embed texts, one InvokeModel call each; returns ``(len(texts), dimensions)``."""
        items = check_texts(texts)
        if not items:
            return empty_matrix(self._dimensions)
        import numpy as np  # documents only: the search function never loads it

        matrix = np.asarray([self._invoke(text) for text in items], dtype=np.float32)
        check_dimensions(matrix, len(items), self._dimensions, self._source)
        return l2_normalize(matrix)

    def embed_query(self, text: str) -> QueryVector:
        """Embed a search query; returns ``dimensions`` float32 values of unit norm."""
        (item,) = check_texts([text])
        return normalized_query_vector(self._invoke(item), self._dimensions, self._source)

    @property
    def _source(self) -> str:
        return f"bedrock model {self._model_id}"

    def _invoke(self, text: str) -> list[float]:
        """The embedding Titan returned for ``text`` (a JSON list of numbers)."""
        from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

        body = json.dumps({"inputText": text, "dimensions": self._dimensions, "normalize": True})
        try:
            response = self._client.invoke_model(
                modelId=self._model_id,
                body=body,
                contentType="application/json",
                accept="application/json",
            )
            payload = json.loads(response["body"].read())
        except ClientError as exc:
            raise _map_client_error(exc) from exc
        except NoCredentialsError as exc:
            raise EmbeddingConfigError(f"bedrock: no AWS credentials: {exc}") from exc
        except BotoCoreError as exc:  # timeouts, connection errors
            raise EmbeddingUnavailable(f"bedrock call failed: {exc}") from exc
        except (OSError, ValueError) as exc:  # broken stream or body that is not JSON
            raise EmbeddingUnavailable(f"bedrock returned an unreadable answer: {exc}") from exc
        embedding = payload.get("embedding") if isinstance(payload, dict) else None
        if not isinstance(embedding, list) or not embedding:
            raise EmbeddingError("bedrock answered without an embedding")
        if len(embedding) != self._dimensions:
            raise EmbeddingConfigError(
                f"bedrock model {self._model_id} returned {len(embedding)} dimensions, "
                f"expected {self._dimensions} (MEMORY_EMBEDDING_DIMENSIONS)"
            )
        return embedding


def _map_client_error(exc: Any) -> EmbeddingError:
    error = exc.response.get("Error", {})
    code = str(error.get("Code", "Unknown"))
    detail = f"bedrock {code}: {error.get('Message', exc)}"
    if code in _RATE_LIMIT_CODES:
        return EmbeddingRateLimited(detail)
    if code in _CONFIG_CODES:
        # wrong credentials, no model access, or unknown model id: retrying cannot help
        return EmbeddingConfigError(detail)
    if code in _REJECTED_CODES:
        # this input was refused (e.g. too long): an outage it is not
        return EmbeddingError(detail)
    return EmbeddingUnavailable(detail)
