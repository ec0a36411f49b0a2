"""The plan-memo benchmark end to end at a tiny size: both services measured in both
modes, the report written (no timing thresholds)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench import plan_memo

pytestmark = pytest.mark.e2e


def test_a_search_with_its_plan_remembered_and_one_counting_it_are_measured(
    tmp_path: Path,
) -> None:
    out = tmp_path / "results"
    result = plan_memo.main(
        ["--conversations", "2", "--turns", "40", "--questions", "3", "--rounds", "2",
         "--work-dir", str(tmp_path / "work"), "--out", str(out), "--locomo", "none"]
    )  # fmt: skip
    assert [c["mode"] for c in result["cases"]] == ["vector", "hybrid"]
    for case in result["cases"]:
        assert all(len(v) == 1 for v in case["per_round_ms"].values()), case
        assert case["database_p50_ms"]["remembered"] > 0
    assert (out / "plan_memo.md").read_text() == plan_memo.markdown(result)
