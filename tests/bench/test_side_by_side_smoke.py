"""The side-by-side benchmark at a tiny size: NumPy, Chroma, mem0 and Memory Mesh all run
on the same vectors, and the results hold every expected figure with sane values (no
timing thresholds: machines differ)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bench.data import DEFAULT_LOCOMO
from bench.side_by_side import SideConfig, markdown, no_network, run
from tests.bench.support import bench_work_dir

pytestmark = pytest.mark.e2e

ROWS = 400  # 4 tenants of 100 rows in the filtered regime
QUERIES = 12
PASSES = 2
MEM0_ADD = 20
EF_SWEEP = (10, 80)
SYSTEMS = ["numpy exact", "chroma", "mem0", "memory mesh"]


@pytest.fixture(scope="module")
def work_dir() -> Iterator[Path]:
    with bench_work_dir() as path:
        yield path


@pytest.fixture(scope="module")
def results(work_dir: Path) -> dict[str, Any]:
    # mem0 reads these when imported: telemetry off, its home in the work dir
    with pytest.MonkeyPatch.context() as env:
        env.setenv("MEM0_TELEMETRY", "False")
        env.setenv("MEM0_DIR", str(work_dir / "mem0-home"))
        config = SideConfig(
            size=ROWS,
            queries=QUERIES,
            passes=PASSES,
            warmup=2,
            mem0_add=MEM0_ADD,
            ef_sweep=EF_SWEEP,
            real_vectors=50,
            locomo=DEFAULT_LOCOMO if DEFAULT_LOCOMO.is_file() else None,
            out=work_dir / "results",
            work_dir=work_dir,
            plot=False,
            progress=False,
            command="pytest tests/bench/test_side_by_side_smoke.py",
        )
        run(config)
    text = (work_dir / "results" / "side_by_side.json").read_text("utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded


def _check_latency(latency: dict[str, float]) -> None:
    assert set(latency) == {"p50", "p95", "p99", "mean", "min", "max"}
    assert 0 < latency["min"] <= latency["p50"] <= latency["p95"] <= latency["p99"]
    assert latency["p99"] <= latency["max"]


def test_every_system_answers_every_query(results: dict[str, Any]) -> None:
    side = results["side_by_side"]
    assert side["size"] == ROWS and side["queries"] == QUERIES and side["passes"] == PASSES
    assert side["network"]["attempts"] == []  # nothing tried to leave the machine
    regimes = {r["regime"]: r for r in side["regimes"]}
    assert set(regimes) == {"no filter", "tenant filter"}
    assert regimes["no filter"]["tenants"] == 1
    assert regimes["no filter"]["rows_in_scope"] == ROWS
    assert regimes["tenant filter"]["tenants"] == ROWS // 100
    assert regimes["tenant filter"]["rows_in_scope"] == 100
    for block in regimes.values():
        assert list(block["systems"]) == SYSTEMS
        for name, system in block["systems"].items():
            _check_latency(system["latency_ms"])
            assert len(system["p50_ms_per_pass"]) == PASSES
            assert 0 <= system["recall_at_10_min"] <= system["recall_at_10"] <= 1, name
            assert system["mean_results"] == 10, name
            assert system["p50_ratio_to_numpy"] > 0
            assert system["p50_ratio_to_memory_mesh"] > 0
        assert block["systems"]["numpy exact"]["p50_ratio_to_numpy"] == 1
        assert block["systems"]["memory mesh"]["p50_ratio_to_memory_mesh"] == 1
        # exact search is exact: NumPy is the truth, Memory Mesh scans exactly this small
        assert block["systems"]["numpy exact"]["recall_at_10"] == 1.0
        assert block["systems"]["memory mesh"]["recall_at_10"] == 1.0
        assert block["systems"]["memory mesh"]["plans"] == {"exact": QUERIES * PASSES}
        assert block["systems"]["mem0"]["plan_scans"]
        assert block["memory_mesh_load"]["rows"] == ROWS
        assert block["load_average"]["start"] is not None


def test_builds_say_how_each_system_was_loaded(results: dict[str, Any]) -> None:
    builds = results["side_by_side"]["builds"]
    assert set(builds) == set(SYSTEMS)
    assert builds["chroma"]["rows"] == ROWS and builds["chroma"]["seconds"] > 0
    mem0 = builds["mem0"]
    assert mem0["rows"] == ROWS  # every row stored, both paths
    assert mem0["memory_add_messages"] == MEM0_ADD and mem0["memory_add_msgs_per_s"] > 0
    assert mem0["bulk_insert_rows"] == ROWS - MEM0_ADD
    assert mem0["bulk_payload_matches_add"] is True
    assert mem0["llm_calls"] == 0  # infer=False: the LLM stand-in was never called
    assert mem0["hnsw_indexes"] == 1 and mem0["hnsw_build_seconds"] > 0
    assert builds["memory mesh"]["rows"] == ROWS
    assert builds["memory mesh"]["hnsw_build_seconds"] > 0
    machine = results["machine"]
    assert machine["chromadb"] and machine["mem0ai"] and machine["postgres"]


def test_markdown_and_plot(results: dict[str, Any], tmp_path: Path) -> None:
    text = markdown(results)
    assert "| regime | system | p50 ms" in text
    for name in SYSTEMS:
        assert f"| {name} |" in text
    assert "Memory.add(infer=False)" in text
    from bench.side_by_side_report import plot

    path = plot(results, tmp_path / "side_by_side.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_ef_sweep_measures_chroma_and_memory_mesh_at_each_ef(
    results: dict[str, Any], tmp_path: Path
) -> None:
    from bench.side_by_side_report import equal_recall, plot_ef_sweep

    points = results["side_by_side"]["regimes"][0]["ef_sweep"]
    assert [(p["system"], p["ef_search"]) for p in points] == [
        (system, ef) for ef in EF_SWEEP for system in ("chroma", "memory mesh")
    ]
    for point in points:
        assert point["p50_ms"] > 0 and 0 <= point["recall_at_10"] <= 1
        assert len(point["p50_ms_per_pass"]) == PASSES
    # Memory Mesh walks at least its 50 candidates
    assert [p["effective_ef"] for p in points if p["system"] == "memory mesh"] == [50, 80]
    assert "tenant filter" not in {p.get("regime") for p in points}
    assert len(equal_recall(points)) == len(EF_SWEEP)
    assert "## ef_search sweep, no filter" in markdown(results)
    path = plot_ef_sweep(results, tmp_path / "ef.png")
    assert path is not None and path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_network_guard_refuses_and_counts() -> None:
    """What backs ``network.attempts == []``: a lookup or a connection to any host but
    this machine is refused (before any packet) and recorded; loopback still works."""
    import socket

    original = socket.getaddrinfo
    with no_network() as attempts:
        with pytest.raises(OSError):
            socket.getaddrinfo("example.com", 443)
        with pytest.raises(OSError), socket.socket() as sock:
            sock.connect(("192.0.2.1", 80))  # TEST-NET-1: never routed
        assert socket.getaddrinfo("localhost", 80)
    assert attempts == ["resolve example.com", "connect 192.0.2.1:80"]
    assert socket.getaddrinfo is original  # restored on exit
