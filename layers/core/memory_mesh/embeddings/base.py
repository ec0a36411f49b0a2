"""The embedding protocol every provider implements, its errors, and shared vector helpers.

Document vectors are ``numpy.float32`` arrays whose rows have unit L2 norm, so cosine
similarity is a plain dot product. A search query's vector is a :data:`QueryVector`
(``array('f')``: float32 too, unit norm) so that searching never loads numpy.
Methods are synchronous: async callers run them in a worker thread.
"""

from __future__ import annotations

import math
import sys
from array import array
from collections.abc import Iterable, Sequence, Sized
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, Protocol, TypeAlias, runtime_checkable

# numpy is imported by the code that handles vectors, not with the protocol: the HTTP
# functions that never embed (messages, conversations, auth, ...) do not load it
if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

    #: One embedding: shape ``(dimensions,)``, float32, unit L2 norm.
    Vector = NDArray[np.float32]
    #: Several embeddings: shape ``(n, dimensions)``, float32, each row of unit L2 norm.
    Matrix = NDArray[np.float32]

    #: One search query's embedding: ``array('f')`` of ``dimensions`` float32 values, unit
    #: L2 norm. Not numpy: the search function's cold start would load ~85 more modules.
    QueryVector: TypeAlias = array[float]
else:
    QueryVector = array  # array[float] is subscriptable at run time only from 3.12


def __getattr__(name: str) -> Any:
    """``Vector`` and ``Matrix`` at run time (numpy imported when first asked for)."""
    if name in ("Vector", "Matrix"):
        import numpy as np
        from numpy.typing import NDArray

        return NDArray[np.float32]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@dataclass(frozen=True)
class EmbedderInfo:
    """What produced a vector; stored next to every vector so models are never mixed."""

    provider: str
    model: str
    dimensions: int


@runtime_checkable
class Embedder(Protocol):
    """Turns texts into unit-length float32 vectors of ``info.dimensions`` values."""

    @property
    def info(self) -> EmbedderInfo:
        """Provider, model and vector size of this embedder."""
        ...

    def embed_documents(self, texts: Sequence[str]) -> Matrix:
        """Embed texts to be stored; returns shape ``(len(texts), dimensions)``.

        Batched internally (``embedding_batch_size`` texts per model/provider call).
        """
        ...

    def embed_query(self, text: str) -> QueryVector:
        """Embed one search query; returns ``dimensions`` float32 values of unit norm."""
        ...


class EmbeddingError(Exception):
    """An embedding could not be computed. ``code`` is stable and safe to show a client."""

    code: str = "embedding_failed"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class EmbeddingUnavailable(EmbeddingError):
    """The provider is down, timed out, or its circuit is open; retrying later may work."""

    code = "embedding_unavailable"


class EmbeddingRateLimited(EmbeddingError):
    """The provider refused the call because of its rate limit or quota."""

    code = "provider_rate_limited"


class EmbeddingConfigError(EmbeddingError):
    """Bad model file, checksum mismatch, dimension mismatch, bad credentials or model id."""

    code = "embedding_misconfigured"


def check_texts(texts: Sequence[str]) -> list[str]:
    """Return ``texts`` as a list, refusing a bare string (itself a ``Sequence[str]``)."""
    if isinstance(texts, str):
        raise TypeError("embed_documents expects a sequence of strings, not a single string")
    items = list(texts)
    for index, item in enumerate(items):
        if not isinstance(item, str):
            raise TypeError(f"text {index} is {type(item).__name__}, not str")
    return items


def empty_matrix(dimensions: int) -> Matrix:
    """An embedding matrix of zero rows and ``dimensions`` columns."""
    import numpy as np

    return np.zeros((0, dimensions), dtype=np.float32)


def l2_normalize(vectors: NDArray[np.floating] | Sequence[Sequence[float]]) -> Matrix:
    """Scale each row of a 2-D array to unit L2 norm; returns a new float32 array.

    Raises :class:`EmbeddingError` if a row is all zeros or holds NaN/inf, since such a
    vector cannot be compared with anything.
    """
    import numpy as np

    matrix = np.asarray(vectors, dtype=np.float32)
    if matrix.ndim != 2:
        raise EmbeddingError(f"expected a 2-D array of vectors, got shape {matrix.shape}")
    if matrix.shape[0] == 0:
        return matrix.copy()
    # norms in float64: float32 squares of 4096 values could lose precision
    norms = np.linalg.norm(matrix.astype(np.float64), axis=1, keepdims=True)
    if not np.all(np.isfinite(norms)) or np.any(norms == 0.0):
        raise EmbeddingError("the provider returned a zero or non-finite vector")
    normalized: Matrix = (matrix / norms).astype(np.float32)
    return normalized


def first_row(matrix: Matrix) -> Vector:
    """Row 0 of ``matrix`` as a vector of shape ``(dimensions,)``."""
    row: Vector = matrix[0]
    return row


def check_length(vector: Sized, dimensions: int, source: str) -> None:
    """Raise :class:`EmbeddingConfigError` unless ``vector`` holds ``dimensions`` values."""
    if len(vector) != dimensions:
        raise EmbeddingConfigError(
            f"{source} returned vectors of {len(vector)} dimensions, expected {dimensions} "
            "dimensions (MEMORY_EMBEDDING_DIMENSIONS must match the model)"
        )


def query_vector_from_row(row: Vector) -> QueryVector:
    """A numpy float32 vector (e.g. a row of a provider's matrix) as a :data:`QueryVector`,
    value for value."""
    return array("f", row.astype("float32", copy=False).tobytes())


def normalized_query_vector(values: Iterable[float], dimensions: int, source: str) -> QueryVector:
    """A provider's raw query embedding as a unit-norm :data:`QueryVector`, without numpy.

    The arithmetic of :func:`l2_normalize` (values rounded to float32, the norm taken in
    float64, each value divided in float64, the result rounded to float32), so a query
    and a document of the same text get the same vector. Raises
    :class:`EmbeddingConfigError` unless there are ``dimensions`` values, and
    :class:`EmbeddingError` for a zero, non-finite or non-numeric vector.
    """
    try:
        vector = array("f", values)
    except (TypeError, OverflowError) as exc:
        raise EmbeddingError(f"{source} returned a vector that is not numbers: {exc}") from exc
    check_length(vector, dimensions, source)
    # squares of float32 values are exact in float64; fsum rounds their sum once
    norm = math.sqrt(math.fsum(value * value for value in vector))
    if norm == 0.0 or not math.isfinite(norm):
        raise EmbeddingError("the provider returned a zero or non-finite vector")
    return array("f", [value / norm for value in vector])


def check_dimensions(matrix: Matrix, rows: int, dimensions: int, source: str) -> None:
    """Raise :class:`EmbeddingConfigError` unless ``matrix`` has shape ``(rows, dimensions)``."""
    if matrix.ndim != 2 or matrix.shape[1] != dimensions:
        raise EmbeddingConfigError(
            f"{source} returned vectors of shape {matrix.shape}, expected {dimensions} "
            "dimensions (MEMORY_EMBEDDING_DIMENSIONS must match the model)"
        )
    if matrix.shape[0] != rows:
        raise EmbeddingError(f"{source} returned {matrix.shape[0]} vectors for {rows} texts")


CircuitState = Literal["closed", "open", "half_open"]


def circuit_state(embedder: object) -> CircuitState | None:
    """Circuit state of the first ``ResilientEmbedder`` in a wrapper chain, else None.

    Follows ``.inner`` through wrappers such as the query cache; local providers have no
    circuit and give None. Here rather than in ``resilience`` (tenacity), which only the
    remote providers load: if it is not loaded, no wrapper in the chain can be one.
    """
    chain: list[object] = []
    current: object | None = embedder
    for _ in range(8):  # wrapper chains are short; a bound guards against cycles
        if current is None:
            break
        chain.append(current)
        current = getattr(current, "inner", None)  # a lazy embedder is built here
    resilience = sys.modules.get("memory_mesh.embeddings.resilience")
    if resilience is None:
        return None
    for item in chain:
        if isinstance(item, resilience.ResilientEmbedder):
            state: CircuitState = item.circuit_state
            return state
    return None
