"""The inline-write benchmark end to end at a tiny size: both cases measured, every
message stored ready, the report written (no timing thresholds)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench import inline_write

pytestmark = pytest.mark.e2e


def test_an_inline_write_is_measured_both_ways(tmp_path: Path, work_dir: Path) -> None:
    out = tmp_path / "results"
    options = inline_write.parse(
        ["--rounds", "2", "--batch", "3", "--out", str(out), "--work-dir", str(work_dir),
         "--no-progress", "--locomo", "none"]
    )  # fmt: skip
    body = inline_write.run(options)["write"]
    for key, rounds in body["per_message_ms_rounds"].items():
        assert len(rounds) == 2, key
        assert body["per_message_ms"][key] > 0
    assert set(body["ratio_embedded_first"]) == set(inline_write.SIZES)
    text = (out / "inline_write.md").read_text()
    assert "| one message |" in text and "python -m bench.inline_write" in text
