"""Benchmark inputs: LoCoMo dialogue turns and questions, their embeddings (cached outside
the repository), and derived vectors for tables larger than the real corpus.

LoCoMo is read from its JSON file at run time and never copied: results hold figures
only. Without the file (a machine without ``../shared``) generated sentences stand in, and
the results say so (``corpus.source``).
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from tqdm import tqdm

from memory_mesh.embeddings import Embedder

log = logging.getLogger(__name__)

Matrix = NDArray[np.float32]

DEFAULT_LOCOMO = Path(__file__).resolve().parents[2] / "shared/bench-data/locomo/locomo10.json"
_SESSION = re.compile(r"^session_(\d+)$")


@dataclass(frozen=True)
class Turn:
    """One dialogue turn: which conversation it belongs to, who spoke first there, text."""

    conversation: int
    first_speaker: bool
    text: str


@dataclass(frozen=True)
class Corpus:
    turns: list[Turn]
    questions: list[str]
    source: str  # "locomo" or "generated"


def load_locomo(path: Path) -> Corpus:
    """Every dialogue turn (conversations in file order, sessions by number) and question."""
    samples = json.loads(path.read_text("utf-8"))
    turns: list[Turn] = []
    questions: list[str] = []
    for index, sample in enumerate(samples):
        conversation = sample["conversation"]
        speaker_a = conversation.get("speaker_a")
        sessions = sorted(
            (int(match[1]), value)
            for key, value in conversation.items()
            if (match := _SESSION.match(key)) and isinstance(value, list)
        )
        for _, session in sessions:
            for turn in session:
                text = str(turn.get("text", "")).strip()
                if text:
                    turns.append(Turn(index, turn.get("speaker") == speaker_a, text))
        questions.extend(str(qa["question"]) for qa in sample.get("qa", []) if qa.get("question"))
    return Corpus(turns=turns, questions=questions, source="locomo")


_SUBJECTS = ["My sister", "Our neighbour", "The team", "My doctor", "A friend from school", "I"]
_VERBS = ["booked", "cancelled", "talked about", "painted", "forgot", "recommended", "planned"]
_OBJECTS = [
    "a trip to Lisbon",
    "the pottery class",
    "a new running route",
    "the birthday dinner",
    "a book about whales",
    "the garden fence",
    "an adoption interview",
    "a charity concert",
]
_WHEN = ["last week", "yesterday", "in May", "after work", "on Sunday", "two years ago"]


def generated_corpus(turns: int = 6000, questions: int = 400, seed: int = 0) -> Corpus:
    """Template sentences standing in for LoCoMo when its file is absent."""
    rng = np.random.default_rng(seed)

    def sentence() -> str:
        parts = (_SUBJECTS, _VERBS, _OBJECTS, _WHEN)
        return " ".join(p[int(rng.integers(len(p)))] for p in parts) + "."

    made = [Turn(i // 600, i % 2 == 0, sentence()) for i in range(turns)]
    asked = [
        f"When did someone {_VERBS[int(rng.integers(len(_VERBS)))]} "
        f"{_OBJECTS[int(rng.integers(len(_OBJECTS)))]}?"
        for _ in range(questions)
    ]
    return Corpus(turns=made, questions=asked, source="generated")


def load_corpus(path: Path | None) -> Corpus:
    """LoCoMo when ``path`` exists, else generated sentences (logged)."""
    if path is not None and path.is_file():
        return load_locomo(path)
    log.warning("LoCoMo not found at %s: using generated sentences", path)
    return generated_corpus()


def pick(items: Sequence[str], count: int, seed: int) -> list[str]:
    """``count`` items spread over the whole list (seeded sample, file order kept)."""
    if count >= len(items):
        return list(items)
    rng = np.random.default_rng(seed)
    chosen = np.sort(rng.choice(len(items), size=count, replace=False))
    return [items[int(i)] for i in chosen]


def embed_cached(
    embedder: Embedder,
    texts: Sequence[str],
    cache_dir: Path,
    *,
    batch_size: int = 256,
    progress: bool = True,
    label: str = "embedding",
) -> Matrix:
    """Embed ``texts`` with the real model, reusing an earlier run's vectors for the same
    model and texts (a ``.npy`` file in ``cache_dir``, which lies outside the repo)."""
    digest = hashlib.sha256()
    digest.update(embedder.info.model.encode())
    for text in texts:
        digest.update(b"\x00" + text.encode())
    path = cache_dir / f"vectors-{digest.hexdigest()[:24]}.npy"
    if path.is_file():
        cached: Matrix = np.load(path)
        if cached.shape == (len(texts), embedder.info.dimensions):
            return cached
    parts = []
    for start in tqdm(
        range(0, len(texts), batch_size), desc=label, unit="batch", disable=not progress
    ):
        parts.append(embedder.embed_documents(list(texts[start : start + batch_size])))
    vectors = np.concatenate(parts).astype(np.float32)
    cache_dir.mkdir(parents=True, exist_ok=True)
    np.save(path, vectors)
    return vectors


def normalise(rows: NDArray[np.floating]) -> Matrix:
    norms = np.linalg.norm(rows, axis=1, keepdims=True)
    normalised: Matrix = (rows / norms).astype(np.float32)
    return normalised


def derive_vectors(real: Matrix, count: int, seed: int, noise: float = 0.1) -> Matrix:
    """``count`` unit vectors: the real ones (shuffled) first, then, beyond them, mixes
    ``w*a + (1-w)*b`` of two random real vectors (w uniform in [0.2, 0.8]) plus Gaussian
    noise of expected norm ``noise``, normalised. Rows come out shuffled."""
    rng = np.random.default_rng(seed)
    taken = real[rng.permutation(len(real))[: min(count, len(real))]]
    extra = count - len(taken)
    if extra <= 0:
        return np.ascontiguousarray(taken, dtype=np.float32)
    dims = real.shape[1]
    a = real[rng.integers(len(real), size=extra)]
    b = real[rng.integers(len(real), size=extra)]
    w = rng.uniform(0.2, 0.8, size=(extra, 1)).astype(np.float32)
    jitter = rng.standard_normal((extra, dims)).astype(np.float32) * (noise / np.sqrt(dims))
    mixed = normalise(w * a + (1 - w) * b + jitter)
    rows = np.concatenate([taken, mixed])
    return np.ascontiguousarray(rows[rng.permutation(count)], dtype=np.float32)
