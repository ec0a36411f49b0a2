"""The HTTP-overhead and narrow-scan benchmarks end to end at a tiny size: every case
measured, the profile summarised, the report written (no timing thresholds)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench import cli, http_overhead, narrow_scan

pytestmark = pytest.mark.e2e


def test_http_overhead_measures_every_case_side_by_side(tmp_path: Path, work_dir: Path) -> None:
    out = tmp_path / "results"
    options = http_overhead.parse(
        ["--rows", "300", "--rows-per-conversation", "100", "--requests", "5", "--rounds", "2",
         "--out", str(out), "--work-dir", str(work_dir), "--no-progress", "--locomo", "none"]
    )  # fmt: skip
    options.config = http_overhead.OverheadConfig(
        **{**options.config.__dict__, "turns": 200, "questions": 10}
    )
    results = http_overhead.run(options)
    body = results["overhead"]
    names = set(body["cases"])
    assert "service: search, warm" in names and "model: embed_query of a new text" in names
    assert "http branch: search, API key, warm" in names
    assert "http branch: floor (GET /v1/conversations?limit=1)" in names
    for case in body["cases"].values():
        assert len(case["cpu_ms_per_round"]) == 2
        assert case["latency_ms"]["p50"] > 0
    assert body["ratios"]["branch"]["cpu_http_over_service_warm"] > 0
    text = (out / "http_overhead.md").read_text()
    assert "| http branch: search, bearer, cold |" in text
    assert "python -m bench.http_overhead" in text


def test_a_py_spy_profile_is_summarised_by_where_time_goes(tmp_path: Path) -> None:
    raw = tmp_path / "raw.txt"
    raw.write_text(
        "main (cli.py:1);run (asyncio/base_events.py:2);embed (memory_mesh/embeddings/local.py:3);"
        "run (onnxruntime/session.py:4) 6\n"
        "main (cli.py:1);hit (memory_mesh/ratelimit/limiter.py:9);send (redis/client.py:7) 3\n"
        "main (cli.py:1);select (selectors.py:5) 40\n"
        "main (cli.py:1);handle (fastapi/routing.py:8) 1\n"
    )
    summary = http_overhead.summarise_profile(raw)
    assert summary["samples"] == 10 and summary["idle_samples"] == 40
    assert summary["buckets"] == {
        "query embedding (model, batching)": 0.6,
        "rate limiter (Redis round trips)": 0.3,
        "FastAPI dependencies + routing": 0.1,
    }


def test_the_narrow_scan_is_measured_next_to_the_wide_one(tmp_path: Path, work_dir: Path) -> None:
    out = tmp_path / "results"
    options = narrow_scan.parse(
        ["--conversations", "2", "--questions", "6", "--rounds", "2", "--out", str(out),
         "--work-dir", str(work_dir), "--no-progress", "--locomo", "none", "--hnsw"]
    )  # fmt: skip
    options.config = narrow_scan.NarrowConfig(**{**options.config.__dict__, "turns": 300})
    results = narrow_scan.run(options)
    body = results["narrow"]
    assert body["load"]["rows_per_conversation"] == [150, 150]
    wide, narrow = body["cases"]["wide"], body["cases"]["narrow"]
    assert any("messages" in scan for scan in wide["scans"])
    assert any("message_vectors" in scan for scan in narrow["scans"])
    assert wide["buffers_median"] > 0 and narrow["buffers_median"] > 0
    assert body["top10_same_order"] == 1.0  # re-ranked at full precision: the same answers
    assert 0.5 < body["halfvec_recall_at_10"] <= 1.0
    assert body["write"]["with_trigger"] > 0 and body["write"]["without"] > 0
    hnsw = body["hnsw"]["cases"]
    # at this size the planner may prefer the tenant's B-tree to either graph: each case
    # reads its own table, whichever index it takes
    assert not any("message_vectors" in scan for scan in hnsw["wide"]["scans"])
    assert any("message_vectors" in scan for scan in hnsw["narrow"]["scans"])
    assert 0 < hnsw["narrow"]["recall_at_10"] <= 1 and 0 < hnsw["wide"]["recall_at_10"] <= 1
    assert "| narrow |" in (out / "narrow_scan.md").read_text()


def test_the_shared_options_are_parsed_alike() -> None:
    options = narrow_scan.parse(["--work-dir", "/tmp/x", "--no-progress"])
    assert options.work_dir == Path("/tmp/x") and options.config.progress is False
    assert options.command == "python -m bench.narrow_scan --work-dir /tmp/x --no-progress"
    assert cli.command("bench.quality", ["--questions", "2"]) == (
        "python -m bench.quality --questions 2"
    )
