"""The footprint benchmark at a tiny size: a real server, fresh then loaded and
restarted, with every memory and disk figure present and sane (no thresholds on sizes:
machines differ)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.data import DEFAULT_LOCOMO
from bench.footprint import FootprintConfig, run

pytestmark = pytest.mark.e2e

MESSAGES = 300
HTTP_MESSAGES = 20
STAGES = [
    "fresh, idle",
    "fresh, after workload",
    "loaded, same process",
    "restarted, idle",
    "restarted, after workload",
]


def test_footprint_runs_at_a_tiny_size(work_dir: Path) -> None:
    out = work_dir / "results"
    config = FootprintConfig(
        messages=MESSAGES,
        http_messages=HTTP_MESSAGES,
        http_batch=10,
        searches=5,
        reads=6,
        samples=2,
        sample_interval=0.1,
        settle_seconds=0.5,
        real_vectors=50,
        locomo=DEFAULT_LOCOMO if DEFAULT_LOCOMO.is_file() else None,
        out=out,
        work_dir=work_dir,
        progress=False,
        command="pytest tests/bench/test_footprint_smoke.py",
    )
    run(config)

    results = json.loads((out / "footprint.json").read_text("utf-8"))
    fp = results["footprint"]
    assert fp["messages"] == MESSAGES and fp["http_messages"] == HTTP_MESSAGES
    assert fp["loading"]["copy"]["rows"] == MESSAGES - HTTP_MESSAGES
    assert fp["loading"]["http"]["ready"] == HTTP_MESSAGES  # inline: embedded at once
    stages = {s["stage"]: s for s in fp["stages"]}
    assert list(stages) == STAGES
    for name, stage in stages.items():
        expected = 0 if name.startswith("fresh") else MESSAGES
        assert stage["disk"]["messages"] == expected, name
        for key in ("rss", "uss", "pss"):
            assert stage["server_mb"][key] > 0 and stage["postgres_mb"][key] > 0
        assert stage["server_mb"]["uss"] <= stage["server_mb"]["rss"]
        assert stage["postgres_mb"]["processes"] >= 2  # postmaster and its helpers
        assert stage["total_pss_mb"] > stage["server_mb"]["pss"]
        assert stage["disk"]["database_mb"] > 0 and stage["disk"]["pgdata_mb"] > 0
    assert stages["restarted, idle"]["disk"]["hnsw_index_mb"] > 0
    for name in ("fresh, after workload", "restarted, after workload"):
        assert stages[name]["searches"] == 5 and stages[name]["reads"] == 6
    assert stages["restarted, after workload"]["mean_hits"] > 0  # the loaded rows are found
    assert stages["fresh, after workload"]["mean_hits"] == 0  # the fresh tenant is empty
    assert results["machine"]["postgres"]
    markdown = (out / "footprint.md").read_text("utf-8")
    assert "| stage | messages | server RSS" in markdown and "restarted, idle" in markdown
