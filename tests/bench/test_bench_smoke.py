"""The core benchmark end to end at a tiny size: every benchmark runs, and the results
hold every expected figure with sane values (no timing thresholds: machines differ)."""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bench.data import DEFAULT_LOCOMO, load_corpus
from bench.ingest import IngestConfig
from bench.run import BenchConfig, run
from bench.search_latency import SearchConfig

pytestmark = pytest.mark.e2e

ROWS = 300
QUERIES = 20
MESSAGES = 30


def _check_latency(latency: dict[str, float]) -> None:
    assert set(latency) == {"p50", "p95", "p99", "mean", "min", "max"}
    assert 0 < latency["min"] <= latency["p50"] <= latency["p95"] <= latency["p99"]
    assert latency["p99"] <= latency["max"]


def _check_machine(machine: dict[str, Any]) -> None:
    for key in ("date", "cpu_model", "cpu_count", "memory_gb", "python", "postgres", "pgvector"):
        assert machine[key], key
    assert machine["packages"]["onnxruntime"]


def _check_ingest(ingest: dict[str, Any]) -> None:
    assert ingest["messages"] == MESSAGES
    assert ingest["embedder"]["msgs_per_s"] > 0
    for mode in ("inline", "async"):
        assert ingest[mode]["msgs_per_s"] > 0
        assert ingest[mode]["ratio_to_embedder"] > 0
    assert ingest["inline"]["ready_at_response"] == 1.0
    assert ingest["async"]["accepted_msgs_per_s"] > 0
    (only,) = ingest["runs"]
    for key in ("embedder_seconds", "inline_seconds", "async_seconds", "async_accepted_seconds"):
        assert only[key] > 0, key
    assert only["async_accepted_seconds"] <= only["async_seconds"]


def _check_search(search: dict[str, Any]) -> None:
    assert search["model"]["dimensions"] == 384
    _check_latency(search["query_embedding_ms"])
    blocks = {(b["size"], b["regime"]): b for b in search["results"]}
    assert set(blocks) == {(ROWS, "scoped"), (ROWS, "unscoped")}
    assert blocks[ROWS, "scoped"]["data"]["tenants"] == ROWS // 100
    assert blocks[ROWS, "unscoped"]["data"]["tenants"] == 1
    plans = set()
    for block in blocks.values():
        data = block["data"]
        assert data["rows"] == ROWS
        assert data["hnsw_indexes"] >= 1 and data["hnsw_build_seconds"] > 0
        assert block["cases"][0]["label"] == "service default"
        assert block["cases"][0]["plan"] == "exact"  # 300 rows: far below the exact limit
        for case in block["cases"]:
            assert case["queries"] == QUERIES
            assert case["plans"] == {case["plan"]: QUERIES}
            _check_latency(case["latency_ms"])
            assert 0 <= case["recall_at_10_min"] <= case["recall_at_10"] <= 1
            assert "scans" in case["explain"], case["explain"]
            plans.add(case["plan"])
        # exact search is exact
        assert block["cases"][0]["recall_at_10"] == 1.0
    assert plans == {"exact", "hnsw"}
    labels = [c["label"] for c in blocks[ROWS, "unscoped"]["cases"]]
    assert labels == [
        "service default",
        "hnsw ef_search 40",
        "hnsw ef_search 100",
        "hnsw ef_search 200",
    ]


@pytest.fixture
def work_dir() -> Iterator[Path]:
    """Databases live outside pytest's base temp: run as root, pgserver starts PostgreSQL
    as another user, and each new pytest session chmods that base temp back to 0700."""
    path = Path(tempfile.mkdtemp(prefix="mm-bench-smoke-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


def test_every_benchmark_runs_at_a_tiny_size(tmp_path: Path, work_dir: Path) -> None:
    # LoCoMo is present in CI; without it the benchmark falls back to generated sentences
    locomo = DEFAULT_LOCOMO if DEFAULT_LOCOMO.is_file() else None
    out = tmp_path / "results"
    config = BenchConfig(
        locomo=locomo,
        out=out,
        work_dir=work_dir,
        ingest=IngestConfig(
            messages=MESSAGES, batch_size=15, repetitions=1, warmup_messages=5, progress=False
        ),
        search=SearchConfig(
            sizes=(ROWS,), queries=QUERIES, warmup=2, real_vectors=ROWS // 2, progress=False
        ),
        command="pytest tests/bench",
    )
    run(config)

    text = (out / "core.json").read_text("utf-8")
    results = json.loads(text)
    assert set(results) >= {"command", "machine", "corpus", "model", "ingest", "search"}
    assert results["duration_seconds"] > 0
    assert results["corpus"]["source"] == ("locomo" if locomo else "generated")
    _check_machine(results["machine"])
    _check_ingest(results["ingest"])
    _check_search(results["search"])

    # figures only: no corpus text in the results
    corpus = load_corpus(locomo)
    for sample in [t.text for t in corpus.turns[:200]] + corpus.questions[:200]:
        if len(sample) > 25:
            assert sample not in text
    markdown = (out / "core.md").read_text("utf-8")
    assert "| HTTP, inline mode" in markdown and "recall@10" in markdown
