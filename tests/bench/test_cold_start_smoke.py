"""The cold-start benchmark runs on two functions, once each (so it never rots)."""

from __future__ import annotations

import json
from pathlib import Path

from bench.cold_start import main


def test_cold_start_benchmark_measures_each_function_and_writes_its_report(
    tmp_path: Path,
) -> None:
    results = main(["--runs", "1", "--functions", "migrate,messages", "--out", str(tmp_path)])
    names = [f["function"] for f in results["functions"]]
    assert names == ["messages", "migrate"]
    for function in results["functions"]:
        assert 0 < function["min_ms"] <= function["median_ms"]
        assert function["modules"] > 100
        # what the deployed layer must never pull in at import
        assert function["heavy"] == []
    assert json.loads((tmp_path / "cold_start.json").read_text()) == results
    assert "| messages |" in (tmp_path / "cold_start.md").read_text()
