"""The postings' write-cost benchmark end to end at a tiny size: every operation measured
with the triggers on and off, the space counted, the triggers left on, the report written
(no timing thresholds)."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from bench import postings_cost
from bench.search_latency import database_url
from bench.tables import embedded_server

pytestmark = pytest.mark.e2e


def test_the_writes_are_measured_with_and_without_the_postings(
    tmp_path: Path, work_dir: Path
) -> None:
    out = tmp_path / "results"
    options = postings_cost.parse(
        ["--batch", "20", "--rounds", "2", "--out", str(out), "--work-dir", str(work_dir),
         "--no-progress", "--locomo", "none"]
    )  # fmt: skip
    body = postings_cost.run(options)["cost"]
    for case in postings_cost.CASES:
        assert set(body["per_message_ms"][case]) == set(postings_cost.OPERATIONS)
        for op in postings_cost.OPERATIONS:
            assert len(body["per_message_ms_rounds"][case][op]) == 2
            assert body["per_message_ms"][case][op] > 0
    sizes = body["sizes"]
    assert sizes["postings_per_message"] > 1
    assert sizes["postings_bytes_per_message_compacted"] > 0
    # the triggers are on again afterwards: a message stored now has its postings
    with embedded_server(work_dir / "search-db") as server:
        url = database_url(server, "mm_bench_postings_cost")
        with psycopg.connect(url) as conn:
            rows = conn.execute(
                "select tgenabled from pg_trigger where tgname = any(%s)",
                [list(postings_cost.TRIGGERS)],
            ).fetchall()
    assert sorted(r[0] for r in rows) == ["O", "O", "O"]
    text = (out / "postings_cost.md").read_text()
    assert "| store |" in text and "python -m bench.postings_cost" in text
