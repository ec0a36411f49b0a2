"""The Gemini provider: ``gemini-embedding-001`` through the ``google-genai`` SDK.

Documents are embedded with task type RETRIEVAL_DOCUMENT, queries with RETRIEVAL_QUERY,
at most 100 texts a request, shortened to ``embedding_dimensions`` by the API and
L2-normalised here (shortened Gemini vectors are not unit length). The SDK's own retries
are off: :class:`~memory_mesh.embeddings.resilience.ResilientEmbedder` does retries.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal, Protocol

from memory_mesh.config import Settings
from memory_mesh.embeddings.base import (
    EmbedderInfo,
    EmbeddingConfigError,
    EmbeddingError,
    EmbeddingRateLimited,
    EmbeddingUnavailable,
    check_dimensions,
    check_length,
    check_texts,
    empty_matrix,
    l2_normalize,
    normalized_query_vector,
)

if TYPE_CHECKING:
    from memory_mesh.embeddings.base import Matrix, QueryVector

#: Most texts the Gemini API embeds in one request.
MAX_TEXTS_PER_REQUEST = 100

TaskType = Literal["RETRIEVAL_DOCUMENT", "RETRIEVAL_QUERY"]


class GeminiModels(Protocol):
    """The part of ``genai.Client().models`` used here."""

    def embed_content(self, *, model: str, contents: Any, config: Any = None) -> Any: ...


class GeminiClient(Protocol):
    """The part of ``google.genai.Client`` used here (a fake in unit tests)."""

    @property
    def models(self) -> GeminiModels: ...


def make_client(settings: Settings) -> GeminiClient:
    """A ``google.genai.Client`` with the API key, a timeout and no SDK-level retries."""
    from google import genai
    from google.genai import types

    if settings.gemini_api_key is None:
        raise EmbeddingConfigError("MEMORY_GEMINI_API_KEY is required when the provider is gemini")
    http_options = types.HttpOptions(
        timeout=int(settings.embedding_timeout_seconds * 1000),  # the SDK counts milliseconds
        retry_options=types.HttpRetryOptions(attempts=1),
    )
    client: GeminiClient = genai.Client(
        api_key=settings.gemini_api_key.get_secret_value(), http_options=http_options
    )
    return client


class GeminiEmbedder:
    """Embeds through the Gemini API. Pass ``client`` to use a prepared or fake client."""

    def __init__(self, settings: Settings, client: GeminiClient | None = None) -> None:
        self._client = client if client is not None else make_client(settings)
        self._model = settings.gemini_model
        self._dimensions = settings.embedding_dimensions
        #: texts per HTTP request (read by ResilientEmbedder to protect each request)
        self.max_texts_per_request = min(settings.embedding_batch_size, MAX_TEXTS_PER_REQUEST)
        self._info = EmbedderInfo(
            provider="gemini", model=settings.gemini_model, dimensions=self._dimensions
        )

    @property
    def info(self) -> EmbedderInfo:
        """Provider ``gemini``, the configured model and dimensions."""
        return self._info

    def embed_documents(self, texts: Sequence[str]) -> Matrix:
        """Embed texts to store (RETRIEVAL_DOCUMENT); returns ``(len(texts), dimensions)``."""
        items = check_texts(texts)
        if not items:
            return empty_matrix(self._dimensions)
        import numpy as np  # documents only: the search function never loads it

        size = self.max_texts_per_request
        values: list[list[float]] = []
        for start in range(0, len(items), size):
            values.extend(self._request(items[start : start + size], "RETRIEVAL_DOCUMENT"))
        matrix = np.asarray(values, dtype=np.float32)
        check_dimensions(matrix, len(items), self._dimensions, self._source)
        return l2_normalize(matrix)

    def embed_query(self, text: str) -> QueryVector:
        """Embed a search query (RETRIEVAL_QUERY); returns ``dimensions`` float32 values
        of unit norm."""
        (item,) = check_texts([text])
        (values,) = self._request([item], "RETRIEVAL_QUERY")
        return normalized_query_vector(values, self._dimensions, self._source)

    @property
    def _source(self) -> str:
        return f"gemini model {self._model}"

    def _request(self, texts: list[str], task_type: TaskType) -> list[list[float]]:
        """One API request: the embedding values of each text, in order."""
        from google.genai import errors, types

        config = types.EmbedContentConfig(
            task_type=task_type, output_dimensionality=self._dimensions
        )
        try:
            response = self._client.models.embed_content(
                model=self._model, contents=texts, config=config
            )
        except errors.APIError as exc:
            raise _map_api_error(exc) from exc
        except Exception as exc:  # httpx timeouts/transport errors and anything the SDK raises
            raise EmbeddingUnavailable(
                f"gemini request failed: {type(exc).__name__}: {exc}"
            ) from exc
        embeddings = getattr(response, "embeddings", None) or []
        values = [getattr(embedding, "values", None) for embedding in embeddings]
        if len(values) != len(texts) or any(not v for v in values):
            raise EmbeddingError(f"gemini returned {len(values)} embeddings for {len(texts)} texts")
        rows = [list(v) for v in values if v]
        for row in rows:
            check_length(row, self._dimensions, self._source)
        return rows


def _map_api_error(exc: Any) -> EmbeddingError:
    code = getattr(exc, "code", None)
    detail = f"gemini API error {code} {getattr(exc, 'status', '') or ''}: " + str(
        getattr(exc, "message", "") or exc
    )
    if code == 429:
        return EmbeddingRateLimited(detail)
    if code in (401, 403, 404):
        # bad API key, no access, or unknown model: retrying cannot help
        return EmbeddingConfigError(detail)
    if isinstance(code, int) and 400 <= code < 500 and code != 408:
        # the request itself was refused (e.g. an empty text): not an outage
        return EmbeddingError(detail)
    return EmbeddingUnavailable(detail)
