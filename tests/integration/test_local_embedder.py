"""The real local model: all-MiniLM-L6-v2 int8 ONNX run by onnxruntime (loaded once)."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from memory_mesh.config import Settings
from memory_mesh.embeddings import EmbeddingConfigError, build_embedder
from memory_mesh.embeddings.local import (
    DEFAULT_MODEL_NAME,
    DEFAULT_MODEL_SHA256,
    DEFAULT_TOKENIZER_PATH,
    DEFAULT_TOKENIZER_SHA256,
    LocalOnnxEmbedder,
    default_model_path,
    sha256_of,
    verify_sha256,
)

DIMS = 384


def local_settings(**overrides: object) -> Settings:
    values: dict[str, object] = {
        "embedding_provider": "local",
        "embedding_dimensions": DIMS,
        # small batches so a dozen texts span several runs of the model
        "embedding_batch_size": 4,
        "local_model_path": None,
        "local_tokenizer_path": None,
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def embedder() -> LocalOnnxEmbedder:
    return LocalOnnxEmbedder(local_settings())


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


def test_info(embedder: LocalOnnxEmbedder) -> None:
    assert embedder.info.provider == "local"
    assert embedder.info.model == DEFAULT_MODEL_NAME == "all-MiniLM-L6-v2-onnx-int8"
    assert embedder.info.dimensions == DIMS


def test_shape_dtype_and_unit_norm(embedder: LocalOnnxEmbedder) -> None:
    vectors = embedder.embed_documents(["Hello world", "Memory Mesh stores conversations."])
    assert vectors.shape == (2, DIMS)
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    query = embedder.embed_query("Hello world")
    assert query.typecode == "f" and len(query) == DIMS
    np.testing.assert_allclose(query, vectors[0], atol=1e-6)


def test_a_paraphrase_without_shared_words_is_closer_than_an_unrelated_text(
    embedder: LocalOnnxEmbedder,
) -> None:
    question, paraphrase, unrelated = embedder.embed_documents(
        [
            "How do I reset my password?",
            "I forgot my login credentials",
            "The recipe needs two cups of flour and a pinch of salt.",
        ]
    )
    assert cosine(question, paraphrase) > cosine(question, unrelated) + 0.3


def test_batch_results_equal_single_results(embedder: LocalOnnxEmbedder) -> None:
    texts = [
        "short",
        "A considerably longer sentence, so that the batch needs padding for the others.",
        "What did we decide about the launch date last Tuesday?",
        "",
        "Numbers 12345 and symbols #@! are fine too.",
        "Ünïcödé téxt wörks, 日本語も大丈夫",
        "one two three four five six seven eight nine ten eleven twelve",
        "The user prefers dark mode.",
        "Remind me to call the plumber.",
        "ok",
    ]
    batch = embedder.embed_documents(texts)
    single = np.stack([embedder.embed_query(text) for text in texts])
    np.testing.assert_allclose(batch, single, atol=1e-5)
    # and the order of the input does not change any vector
    reverse = embedder.embed_documents(texts[::-1])[::-1]
    np.testing.assert_allclose(reverse, batch, atol=1e-5)


def test_long_texts_are_truncated_to_256_tokens(embedder: LocalOnnxEmbedder) -> None:
    # "hello" is one token: 260 of them plus [CLS]/[SEP] overrun 256 tokens, but not 512
    filler = " ".join(["hello"] * 260)
    ending = " and then a story about volcanoes, oceans and glaciers"
    first, second = embedder.embed_documents([filler, filler + ending])
    np.testing.assert_allclose(first, second, atol=1e-6)
    # the same ending inside the limit does change the vector
    inside = " ".join(["hello"] * 200)
    third, fourth = embedder.embed_documents([inside, inside + ending])
    assert cosine(third, fourth) < 0.999


def test_empty_list(embedder: LocalOnnxEmbedder) -> None:
    vectors = embedder.embed_documents([])
    assert vectors.shape == (0, DIMS)
    assert vectors.dtype == np.float32


def test_the_bundled_files_have_the_expected_checksums() -> None:
    assert sha256_of(default_model_path()) == DEFAULT_MODEL_SHA256
    assert sha256_of(DEFAULT_TOKENIZER_PATH) == DEFAULT_TOKENIZER_SHA256
    assert (DEFAULT_TOKENIZER_PATH.parent / "NOTICE").read_text().count("Apache") >= 1


def test_a_tampered_model_fails_the_checksum(tmp_path: Path) -> None:
    tampered = tmp_path / "model.onnx"
    shutil.copyfile(default_model_path(), tampered)
    verify_sha256(tampered, DEFAULT_MODEL_SHA256)  # an exact copy passes
    with tampered.open("r+b") as handle:
        handle.seek(1_000_000)
        byte = handle.read(1)
        handle.seek(1_000_000)
        handle.write(bytes([byte[0] ^ 0xFF]))
    with pytest.raises(EmbeddingConfigError, match="sha256") as info:
        verify_sha256(tampered, DEFAULT_MODEL_SHA256)
    assert info.value.code == "embedding_misconfigured"
    with pytest.raises(EmbeddingConfigError, match="cannot read"):
        verify_sha256(tmp_path / "missing.onnx", DEFAULT_MODEL_SHA256)


def test_a_custom_model_path_is_used_and_named_by_its_stem(tmp_path: Path) -> None:
    model = tmp_path / "my-minilm.onnx"
    shutil.copyfile(default_model_path(), model)
    shutil.copyfile(DEFAULT_TOKENIZER_PATH, tmp_path / "tokenizer.json")
    custom = LocalOnnxEmbedder(local_settings(local_model_path=model))
    assert custom.info.model == "my-minilm"
    assert custom.info.dimensions == DIMS
    assert len(custom.embed_query("hi")) == DIMS


def test_a_custom_model_of_another_dimension_is_refused(tmp_path: Path) -> None:
    model = tmp_path / "model.onnx"
    shutil.copyfile(default_model_path(), model)
    settings = local_settings(
        local_model_path=model,
        local_tokenizer_path=DEFAULT_TOKENIZER_PATH,
        embedding_dimensions=256,
    )
    with pytest.raises(EmbeddingConfigError, match=r"384-dimensional.*DIMENSIONS is 256"):
        LocalOnnxEmbedder(settings)


def test_a_custom_model_that_is_not_onnx_is_refused(tmp_path: Path) -> None:
    model = tmp_path / "broken.onnx"
    model.write_bytes(b"this is not an onnx file")
    settings = local_settings(local_model_path=model, local_tokenizer_path=DEFAULT_TOKENIZER_PATH)
    with pytest.raises(EmbeddingConfigError, match="cannot load ONNX model"):
        LocalOnnxEmbedder(settings)


def test_a_custom_model_without_a_tokenizer_is_refused(tmp_path: Path) -> None:
    model = tmp_path / "model.onnx"
    model.write_bytes(b"unused")
    with pytest.raises(EmbeddingConfigError, match="MEMORY_LOCAL_TOKENIZER_PATH"):
        LocalOnnxEmbedder(local_settings(local_model_path=model))


def test_build_embedder_gives_the_cached_local_model() -> None:
    embedder = build_embedder(local_settings(embedding_query_cache_size=8))
    assert embedder.info.provider == "local"
    assert embedder.info.dimensions == DIMS
    vector = embedder.embed_query("How do I reset my password?")
    np.testing.assert_allclose(np.linalg.norm(vector), 1.0, atol=1e-5)


def test_concurrent_queries_batched_get_the_vectors_each_gets_alone(
    embedder: LocalOnnxEmbedder,
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from memory_mesh.embeddings.batching import BatchingEmbedder

    questions = [f"what did Caroline say about the trip number {n}?" for n in range(24)]
    questions += ["ok", "a much longer question " * 12]  # lengths differ: padding in a batch
    alone = np.stack([embedder.embed_query(q) for q in questions])
    batcher = BatchingEmbedder(embedder, max_batch=8)
    with ThreadPoolExecutor(max_workers=8) as pool:
        together = np.stack(list(pool.map(batcher.embed_query, questions)))
    assert batcher.queries == len(questions)
    assert batcher.calls <= len(questions)
    np.testing.assert_allclose((together * alone).sum(axis=1), 1.0, atol=1e-4)


def test_the_configured_local_embedder_batches_queries() -> None:
    from memory_mesh.embeddings.batching import BatchingEmbedder
    from memory_mesh.embeddings.cache import QueryCacheEmbedder

    embedder = build_embedder(local_settings(embedding_query_batch_max=16))
    assert isinstance(embedder, QueryCacheEmbedder)
    assert isinstance(embedder.inner, BatchingEmbedder)
    assert embedder.inner.max_batch == 16
    alone = build_embedder(local_settings(embedding_query_batch_max=1))
    assert isinstance(alone, QueryCacheEmbedder)
    assert not isinstance(alone.inner, BatchingEmbedder)
