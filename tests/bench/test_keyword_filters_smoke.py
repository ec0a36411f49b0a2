"""The filtered keyword benchmark end to end at a tiny size: both paths measured for every
scope, filter and mode, the same top 10 from each, the report written (no timing thresholds)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench import keyword_filters

pytestmark = pytest.mark.e2e


def test_the_rows_and_the_postings_of_a_filtered_scope_are_measured_side_by_side(
    tmp_path: Path,
) -> None:
    out = tmp_path / "results"
    result = keyword_filters.main(
        ["--conversations", "3", "--turns", "60", "--questions", "4", "--rounds", "2",
         "--work-dir", str(tmp_path / "work"), "--out", str(out), "--locomo", "none"]
    )  # fmt: skip
    cases = {(c["scope"], c["filter"], c["mode"]): c for c in result["cases"]}
    assert set(cases) == {
        (s, f, m) for s in ("conversation", "tenant")  # 180 rows: the tenant within the limit
        for f in ("none", "role user", "after the median", "after the 99th percentile")
        for m in ("keyword", "hybrid")
    }  # fmt: skip
    for case in cases.values():
        assert case["searches"] == 8 and case["same_top10"] == 8, case
        assert len(case["ratio_per_round"]) == 1 and case["p50_ms"]["rows"] > 0
    assert (out / "keyword_filters.md").read_text() == keyword_filters.markdown(result)
