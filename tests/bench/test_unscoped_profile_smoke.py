"""The unscoped-search profile at a tiny size: two labelled runs land side by side in one
report, each with the service call's round trips named, the statement's EXPLAIN figures
beside the bare walk's, and the ef_search sweep (no timing thresholds: machines differ)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bench.data import DEFAULT_LOCOMO
from bench.unscoped_profile import NAME, ProfileConfig, render, run
from tests.bench.support import bench_work_dir

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def work_dir() -> Iterator[Path]:
    with bench_work_dir() as path:
        yield path


@pytest.fixture(scope="module")
def results(work_dir: Path) -> dict[str, Any]:
    for label in ("before", "after"):
        run(
            ProfileConfig(
                size=300,
                queries=6,
                passes=1,
                ef=40,
                sweep=(40, 80),
                real_vectors=50,
                label=label,
                locomo=DEFAULT_LOCOMO if DEFAULT_LOCOMO.is_file() else None,
                out=work_dir / "results",
                work_dir=work_dir,
                progress=False,
                command=f"pytest {label}",
            )
        )
    loaded: dict[str, Any] = json.loads((work_dir / "results" / f"{NAME}.json").read_text())
    return loaded


def test_both_labelled_runs_are_kept_in_one_report(results: dict[str, Any]) -> None:
    assert set(results["runs"]) == {"before", "after"}
    assert results["size"] == 300 and results["queries"] == 6


def test_each_run_names_the_round_trips_of_the_service_call(results: dict[str, Any]) -> None:
    for run_ in results["runs"].values():
        service = run_["service"]
        assert 0 <= service["recall_at_10"] <= 1
        parts = service["parts_p50_ms"]
        # 300 rows are under the exact limit: the plan (counted once, then remembered)
        # sets its settings and runs its statement, sent in the transaction's one round trip
        for name in ("plan settings", "search statement", "the round trip (BEGIN to COMMIT)"):
            assert parts[name] > 0, parts
        assert service["p50_ms"] > 0 and run_["hnsw_definitions"]


def test_the_statement_is_explained_beside_the_bare_walk(results: dict[str, Any]) -> None:
    for run_ in results["runs"].values():
        explain = run_["explain"]
        assert set(explain) == {"service statement", "bare walk"}
        assert all(figures["buffers"] > 0 for figures in explain.values())
        assert [p["ef_search"] for p in run_["sweep"]] == [40, 80]
        for point in run_["sweep"]:
            assert 0 <= point["bare_recall_at_10"] <= 1
            assert point["effective_ef"] >= point["ef_search"]


def test_the_report_is_its_renderer_output(results: dict[str, Any], work_dir: Path) -> None:
    text = (work_dir / "results" / f"{NAME}.md").read_text("utf-8")
    assert text == render(results)
    assert "| part | before | after |" in text
