"""The 1M study end to end at a tiny size: every section measured on a real embedded
PostgreSQL, a real `memory-mesh serve` and the local model, merged into one report that
its renderer reproduces (no timing thresholds)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench import scale_study

pytestmark = pytest.mark.e2e


def test_every_section_is_measured_and_merged_into_one_report(
    tmp_path: Path, work_dir: Path
) -> None:
    out = tmp_path / "results"
    argv = ["--size", "400", "--queries", "8", "--rounds", "1", "--ef-values", "10,40",
            "--quantised-candidates", "20,50", "--variant", "8:32", "--service-ef-values", "40",
            "--http-requests", "3", "--http-rounds", "1", "--locomo", "none", "--no-progress",
            "--out", str(out), "--work-dir", str(work_dir)]  # fmt: skip
    options, _, _ = scale_study.parse(argv)
    options.config = scale_study.StudyConfig(
        **{**options.config.__dict__, "turns": 150, "warmup": 2, "small_tenant_rows": 40}
    )
    sections = ["index", "quantised", "variant", "service", "real", "http", "modes"]
    scale_study.run(options, sections)
    # a second run of one section replaces it and keeps the others
    scale_study.run(options, ["index"])

    results = json.loads((out / "scale_study.json").read_text("utf-8"))
    assert results["data"]["rows"] == 400 and results["data"]["reused"] is True
    for section in ("index", "quantised"):
        for case in results[section]["cases"]:
            assert case["queries"] == 8 and 0.0 <= case["recall_at_10"] <= 1.0
            assert case["latency_ms"]["p50"] > 0 and case["scans"]
    assert any("bit_hamming_ops" in i["definition"] for i in results["quantised"]["indexes"])
    assert set(results["quantised"]["ceiling"]) == {"20", "50"}
    (variant,) = results["variants"]
    assert (variant["m"], variant["ef_construction"]) == (8, 32)
    assert variant["build"]["seconds"] > 0
    assert any("m='8'" in i["definition"] for i in variant["indexes"])
    (service,) = results["service"]["cases"]
    assert service["plan"] == "hnsw" and service["queries"] == 8
    assert set(results["real"]["tables"]) == {
        "real", "derived as at 100,000 rows", "derived as at 400 rows"
    }  # fmt: skip
    http = results["http"]
    assert http["service_plans"] == {"http exact": 23, "exact": 23}  # 20 warm-up each
    assert len(http["cases"]) == 4
    assert http["postgres"]["questions"] == 20 and http["postgres"]["execution_ms_p50"] > 0
    for case in http["cases"].values():
        assert case["latency_ms"]["p50"] > 0 and len(case["p50_ms_per_round"]) == 1
    # the server's own account of its searches (Server-Timing), the HTTP search case only
    cases = http["cases"].values()
    timed = [c["server_timing_p50_ms"] for c in cases if "server_timing_p50_ms" in c]
    assert len(timed) == 1 and set(timed[0]) == {"embedding", "database"}
    modes = results["modes"]
    assert set(modes["cases"]) == {"vector", "hybrid", "keyword"} and modes["questions"] == 8
    for case in modes["cases"].values():
        assert case["latency_ms"]["p50"] > 0 and case["plans"]
        assert "error" not in case["postgres"] and case["postgres"]["scans"]
    assert (out / "scale_study.md").read_text("utf-8") == scale_study.render(results)
