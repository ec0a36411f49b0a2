"""The export-walk benchmark end to end at a tiny size: every statistics state and scope
exported in both cases, the same lines each time, the report written (no timing
thresholds)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench import export_walk

pytestmark = pytest.mark.e2e


def test_a_tenant_export_is_measured_walked_in_order_and_as_planned(
    tmp_path: Path, work_dir: Path
) -> None:
    out = tmp_path / "results"
    options = export_walk.parse(
        ["--rounds", "2", "--conversations", "30", "--long-messages", "40",
         "--out", str(out), "--work-dir", str(work_dir), "--no-progress", "--locomo", "none"]
    )  # fmt: skip
    body = export_walk.run(options)["export"]
    # header + 31 conversations + 30 * 2 + 40 messages + end; the conversation alone 1 + 40 + 2
    assert body["lines"] == {"tenant": 1 + 31 + 100 + 1, "long conversation": 43}
    for state in export_walk.STATES:
        for scope in export_walk.SCOPES:
            for case in export_walk.CASES:
                assert len(body["ms_rounds"][state][scope][case]) == 2
    text = (out / "export_walk.md").read_text()
    assert "| analyzed: both tables | tenant |" in text and "python -m bench.export_walk" in text
