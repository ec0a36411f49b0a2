"""The deterministic test embedder and the shared vector helpers of embeddings.base."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import memory_mesh
from memory_mesh.embeddings.base import (
    Embedder,
    EmbeddingConfigError,
    EmbeddingError,
    check_dimensions,
    l2_normalize,
)
from memory_mesh.embeddings.deterministic import DeterministicEmbedder


def test_shape_dtype_and_unit_norm() -> None:
    embedder = DeterministicEmbedder(64)
    vectors = embedder.embed_documents(["alpha beta", "gamma", "delta epsilon zeta"])
    assert vectors.shape == (3, 64)
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-6)
    assert embedder.info.provider == "deterministic"
    assert embedder.info.model == "hash-v1"
    assert embedder.info.dimensions == 64
    assert isinstance(embedder, Embedder)


def test_same_text_same_vector_across_instances() -> None:
    first = DeterministicEmbedder(128).embed_query("The quick brown fox")
    second = DeterministicEmbedder(128).embed_query("The quick brown fox")
    np.testing.assert_array_equal(first, second)


def test_same_vector_in_another_process_with_another_hash_seed() -> None:
    # str hash() is salted per process; the embedder must not depend on it
    code = (
        "import json;"
        "from memory_mesh.embeddings.deterministic import DeterministicEmbedder;"
        "print(json.dumps(DeterministicEmbedder(32).embed_query('stable across runs').tolist()))"
    )
    core = str(Path(memory_mesh.__file__).resolve().parents[1])
    env = {**os.environ, "PYTHONPATH": core, "PYTHONHASHSEED": "12345"}
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    theirs = np.array(json.loads(out.stdout), dtype=np.float32)
    ours = DeterministicEmbedder(32).embed_query("stable across runs")
    np.testing.assert_array_equal(theirs, ours)


def test_shared_words_are_closer_than_no_shared_words() -> None:
    embedder = DeterministicEmbedder(384)
    base, sharing, unrelated = embedder.embed_documents(
        ["the cat sat on the mat", "a cat lay on a mat", "quantum physics lecture notes"]
    )
    assert float(base @ sharing) > float(base @ unrelated) + 0.3


def test_trigrams_make_word_variants_similar() -> None:
    embedder = DeterministicEmbedder(384)
    password, passwords, banana = embedder.embed_documents(["password", "passwords", "banana"])
    # no shared word, but 9 shared trigrams
    assert float(password @ passwords) > 0.2
    assert float(password @ passwords) > float(password @ banana) + 0.2


def test_case_and_punctuation_do_not_matter() -> None:
    embedder = DeterministicEmbedder(96)
    upper, lower = embedder.embed_documents(["Hello, World!", "hello world"])
    np.testing.assert_allclose(upper, lower, atol=1e-7)


def test_different_texts_differ() -> None:
    first, second = DeterministicEmbedder(384).embed_documents(["apples", "oranges"])
    assert float(first @ second) < 0.9


def test_empty_text_gets_a_unit_vector() -> None:
    vector = DeterministicEmbedder(16).embed_query("")
    assert np.all(np.isfinite(vector))
    assert np.linalg.norm(vector) == pytest.approx(1.0, abs=1e-6)


def test_empty_list_gives_zero_rows() -> None:
    vectors = DeterministicEmbedder(48).embed_documents([])
    assert vectors.shape == (0, 48)
    assert vectors.dtype == np.float32


def test_query_equals_document_row() -> None:
    embedder = DeterministicEmbedder(40)
    np.testing.assert_array_equal(
        embedder.embed_query("some words"), embedder.embed_documents(["x", "some words"])[1]
    )


def test_a_bare_string_is_refused() -> None:
    with pytest.raises(TypeError, match="not a single string"):
        DeterministicEmbedder(8).embed_documents("oops")


def test_l2_normalize_scales_rows_and_refuses_zero_rows() -> None:
    normalized = l2_normalize(np.array([[3.0, 4.0], [0.0, 2.0]]))
    np.testing.assert_allclose(normalized, [[0.6, 0.8], [0.0, 1.0]], atol=1e-7)
    assert normalized.dtype == np.float32
    with pytest.raises(EmbeddingError, match="zero or non-finite"):
        l2_normalize(np.array([[1.0, 0.0], [0.0, 0.0]]))
    with pytest.raises(EmbeddingError, match="zero or non-finite"):
        l2_normalize(np.array([[np.nan, 1.0]]))


def test_check_dimensions_names_the_mismatch() -> None:
    matrix = np.zeros((2, 8), dtype=np.float32)
    check_dimensions(matrix, 2, 8, "test")
    with pytest.raises(EmbeddingConfigError, match="expected 16 dimensions") as info:
        check_dimensions(matrix, 2, 16, "test")
    assert info.value.code == "embedding_misconfigured"
    with pytest.raises(EmbeddingError, match="2 vectors for 3 texts"):
        check_dimensions(matrix, 3, 8, "test")
