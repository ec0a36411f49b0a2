"""A search query's vector without numpy (embeddings/base.py, store/search.py): the same
float32 values numpy's normalisation gives, and the same bytes on the wire."""

from __future__ import annotations

import math
from array import array

import numpy as np
import pytest
from pgvector import Vector

from memory_mesh.embeddings.base import (
    EmbeddingConfigError,
    EmbeddingError,
    l2_normalize,
    normalized_query_vector,
    query_vector_from_row,
)
from memory_mesh.store.search import vector_parameter


@pytest.mark.parametrize("dimensions", [8, 256, 384, 1024])
@pytest.mark.parametrize("scale", [1.0, 3.5, 1e-3])
def test_normalised_in_python_exactly_as_numpy_normalises(dimensions: int, scale: float) -> None:
    rng = np.random.default_rng(dimensions)
    raw = (rng.standard_normal((50, dimensions)) * scale).astype(np.float32)
    expected = l2_normalize(raw)
    for row, want in zip(raw, expected, strict=True):
        got = normalized_query_vector(row.tolist(), dimensions, "test")
        assert got.typecode == "f"
        assert got.tolist() == want.tolist()
    assert math.isclose(math.fsum(v * v for v in got), 1.0, abs_tol=1e-6)


def test_a_vector_of_the_wrong_size_is_a_config_error() -> None:
    with pytest.raises(EmbeddingConfigError, match="3 dimensions, expected 4 dimensions"):
        normalized_query_vector([1.0, 2.0, 3.0], 4, "test")


@pytest.mark.parametrize(
    "values", [[0.0, 0.0], [math.nan, 1.0], [math.inf, 1.0], [1e300, 1.0], ["a", 1.0]]
)
def test_a_zero_non_finite_or_non_numeric_vector_is_refused(values: list[object]) -> None:
    with pytest.raises(EmbeddingError):
        normalized_query_vector(values, 2, "test")  # type: ignore[arg-type]


def test_a_numpy_row_becomes_the_same_float32_values() -> None:
    row = np.random.default_rng(1).standard_normal(384).astype(np.float32)
    vector = query_vector_from_row(row)
    assert vector.typecode == "f" and vector.tolist() == row.tolist()


def test_the_parameter_sends_the_bytes_a_numpy_array_was_sent_as() -> None:
    row = l2_normalize(np.random.default_rng(2).standard_normal((1, 1024)))[0]
    parameter = vector_parameter(query_vector_from_row(row))
    assert isinstance(parameter, Vector)
    # pgvector's psycopg dumpers bind a numpy array as Vector(array), in binary
    assert parameter.to_binary() == Vector(row).to_binary()
    assert parameter.to_text() == Vector(row).to_text()
    assert vector_parameter(None) is None
    assert vector_parameter(array("f", [0.5, -0.25])).to_list() == [0.5, -0.25]
