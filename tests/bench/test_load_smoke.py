"""The Locust load benchmark end to end at a tiny size: a real server, real Locust users,
the limiter probe; checks the report's shape and the limiter's exactness (a count, not a
timing)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.load.run import main

pytestmark = pytest.mark.e2e

LIMIT = 200  # per key and minute: the workload's users stay far below it


def test_load_benchmark_runs_the_mixed_workload_and_the_limiter_probe(tmp_path: Path) -> None:
    results = main(
        [
            *("--users", "2", "--minutes", "0.3", "--out", str(tmp_path)),
            *("--limit", str(LIMIT), "--limiter-seconds", "12"),
        ]
    )
    requests = {row["name"]: row for row in results["requests"]}
    assert requests["Aggregated"]["count"] > 0
    assert requests["Aggregated"]["failures"] == 0
    assert "GET /v1/memory/search" in requests
    limiter = results["limiter"]
    # a one-minute moving window from a cold start allows exactly the limit, no more
    assert limiter["allowed"] == LIMIT
    assert limiter["refused"] > 0 and limiter["other"] == 0
    assert json.loads((tmp_path / "load.json").read_text()) == results
    assert "Rate limiter accuracy" in (tmp_path / "load.md").read_text()
