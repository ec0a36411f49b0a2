"""The core benchmark end to end at a tiny size: every benchmark runs, and the results
hold every expected figure with sane values (no timing thresholds: machines differ)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from bench.data import DEFAULT_LOCOMO, derive_vectors, load_corpus, normalise
from bench.ingest import IngestConfig
from bench.run import BenchConfig, run
from bench.search_latency import SearchConfig, database_url
from bench.tables import Layout, drop_database, embedded_server, prepare
from memory_mesh.embeddings import EmbedderInfo

pytestmark = pytest.mark.e2e

ROWS = 300
QUERIES = 20
MESSAGES = 30
ROUNDS = 2


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


def _check_case(case: dict[str, Any]) -> None:
    assert case["queries"] == QUERIES
    assert case["rounds"] == ROUNDS and len(case["latency_ms_rounds"]) == ROUNDS
    assert case["plans"] == {case["plan"]: QUERIES * ROUNDS}
    _check_latency(case["latency_ms"])
    _check_latency(case["latency_ms_pooled"])
    assert case["p50_vs_first"] > 0
    assert 0 <= case["recall_at_10_min"] <= case["recall_at_10"] <= 1
    assert "scans" in case["explain"], case["explain"]
    settings = case["settings"]
    assert settings["effective_ef_search"] >= max(settings["search_hnsw_ef_search"], 50)


def _check_search(search: dict[str, Any]) -> None:
    assert search["model"]["dimensions"] == 384
    _check_latency(search["query_embedding_ms"])
    blocks = {(b["size"], b["regime"]): b for b in search["results"]}
    assert set(blocks) == {
        (ROWS, "scoped"),
        (ROWS, "unscoped"),
        (ROWS, "conversation"),
        (ROWS, "large conversation"),
    }
    assert blocks[ROWS, "scoped"]["data"]["tenants"] == ROWS // 100
    assert blocks[ROWS, "unscoped"]["data"]["tenants"] == 1
    scope_rows = {regime: blocks[ROWS, regime]["scope_rows"] for _, regime in blocks}
    assert scope_rows == {
        "scoped": 100,
        "unscoped": ROWS,
        "conversation": 20,
        "large conversation": 90,
    }
    plans = set()
    for block in blocks.values():
        data = block["data"]
        assert data["rows"] == ROWS and data["reused"] is False
        assert data["hnsw_indexes"] >= 1 and data["hnsw_build_seconds"] > 0
        assert block["cases"][0]["label"] == "service default"
        assert block["cases"][0]["plan"] == "exact"  # 300 rows: far below the exact limit
        assert block["cases"][0]["p50_vs_first"] == 1.0
        for case in block["cases"]:
            _check_case(case)
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
    assert [c["label"] for c in blocks[ROWS, "conversation"]["cases"]] == [
        "service default",
        "forced hnsw",
    ]
    # the index variant: rebuilt, swept over every ef_search
    (variant,) = search["hnsw_variants"]
    assert (variant["m"], variant["ef_construction"]) == (8, 32)
    assert variant["build_seconds"] > 0 and variant["index_mb"] > 0
    assert "m='8'" in variant["definition"]
    assert [c["settings"]["search_hnsw_ef_search"] for c in variant["cases"]] == [40, 100, 200]
    for case in variant["cases"]:
        _check_case(case)


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
            sizes=(ROWS,),
            queries=QUERIES,
            warmup=2,
            real_vectors=ROWS // 2,
            rounds=ROUNDS,
            rows_per_conversation=20,
            large_conversations=2,
            large_conversation_share=0.3,
            hnsw_variants=((8, 32),),
            variants_size=ROWS,
            progress=False,
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
    assert "| 300 | large conversation | 90 |" in markdown
    assert "### HNSW build parameters at 300 rows" in markdown
    assert (out / "hnsw_ef.png").stat().st_size > 0


def test_a_kept_database_is_reused(work_dir: Path) -> None:
    """``keep_databases``: a second run with the same data finds the first run's load
    (same ids, original figures marked reused); other data is loaded afresh."""
    real = normalise(np.random.default_rng(0).standard_normal((50, 384)))
    vectors = derive_vectors(real, 120, seed=1)
    layout = Layout.single(120, 20, 2, 0.3)
    assert layout.large_conversations == 2
    assert np.bincount(layout.row_conversation).tolist()[:3] == [36, 36, 20]
    info = EmbedderInfo(provider="local", model="bench-test", dimensions=384)
    with embedded_server(work_dir / "db") as server:
        url = database_url(server, "mm_bench_reuse")
        first = prepare(server, "mm_bench_reuse", url, vectors, layout, info, seed=3,
                        keep=True, progress=False)  # fmt: skip
        again = prepare(server, "mm_bench_reuse", url, vectors, layout, info, seed=3,
                        keep=True, progress=False)  # fmt: skip
        assert first["figures"]["reused"] is False and again["figures"]["reused"] is True
        assert again["ids"] == first["ids"]
        assert again["conversation_ids"] == first["conversation_ids"]
        assert again["figures"]["hnsw_build_seconds"] == first["figures"]["hnsw_build_seconds"]
        other = prepare(server, "mm_bench_reuse", url, vectors[::-1].copy(), layout, info,
                        seed=3, keep=True, progress=False)  # fmt: skip
        assert other["figures"]["reused"] is False
        drop_database(server, "mm_bench_reuse")
