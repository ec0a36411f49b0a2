"""The keyword-at-scale benchmark end to end at a tiny size: every case measured side by
side, the indexed cases answering as the scope read whole, the report written (no timing
thresholds)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench import keyword_scale

pytestmark = pytest.mark.e2e


def test_keyword_search_is_measured_reading_the_scope_and_through_the_gin_indexes(
    tmp_path: Path, work_dir: Path
) -> None:
    out = tmp_path / "results"
    options = keyword_scale.parse(
        ["--tenant-rows", "400", "--conversation-rows", "150", "--questions", "4",
         "--rounds", "2", "--out", str(out), "--work-dir", str(work_dir), "--no-progress",
         "--locomo", "none"]
    )  # fmt: skip
    results = keyword_scale.run(options)
    body = results["keyword"]
    cases = {(c["scope"], c["mode"], c["case"]): c for c in body["cases"]}
    assert set(cases) == {
        *(
            (scope, mode, case)
            for scope in ("tenant", "conversation")
            for mode in ("keyword", "hybrid")
            for case in keyword_scale.CASES
        ),
        ("tenant", "vector", "hnsw"),
        ("conversation", "vector", "exact"),
    }
    for (_, mode, case), figures in cases.items():
        assert len(figures["p50_ms_per_round"]) == 2
        if mode == "vector":
            continue
        function = "Function Scan (memory_mesh_keyword_matches)" in figures["scans"]
        assert function == (case.startswith("gin")), (mode, case)
        postings = any("message_terms" in scan for scan in figures["scans"])
        assert postings == (case == keyword_scale.SERVICE_CASE), (mode, case)
        assert figures["same_top10_as_read"] == 1.0  # the same answers, however found
        assert figures["buffers_median"] > 0
    tenant, conversation = body["scopes"]["tenant"], body["scopes"]["conversation"]
    assert tenant["messages"] == 400 and 0 < conversation["messages"] < 400
    assert (tenant["plan"], conversation["plan"]) == ("hnsw", "exact")
    assert set(tenant["service_over_read_p50"]) == {"keyword", "hybrid"}
    assert set(tenant["service_over_gin_p50"]) == {"keyword", "hybrid"}
    text = (out / "keyword_scale.md").read_text()
    assert "| conversation | hybrid | postings, statistics given |" in text
    assert "python -m bench.keyword_scale" in text
