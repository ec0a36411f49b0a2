"""The retention-mend benchmark end to end at a tiny size: both cases run, each deleting
every tool call, the mend timed, the report written (no timing thresholds)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench import retention_mend

pytestmark = pytest.mark.e2e


def test_a_retention_run_is_measured_with_and_without_the_mend(
    tmp_path: Path, work_dir: Path
) -> None:
    out = tmp_path / "results"
    options = retention_mend.parse(
        ["--rounds", "2", "--conversations", "3", "--per-conversation", "6",
         "--out", str(out), "--work-dir", str(work_dir), "--no-progress", "--locomo", "none"]
    )  # fmt: skip
    body = retention_mend.run(options)["retention"]
    assert body["deleted_per_run"] == 9
    for case in retention_mend.CASES:
        assert len(body["run_ms_rounds"][case]) == 2
    assert body["mends_per_run"] >= 1  # the mend ran in the service's own run
    text = (out / "retention_mend.md").read_text()
    assert "| mend after commit |" in text and "python -m bench.retention_mend" in text
