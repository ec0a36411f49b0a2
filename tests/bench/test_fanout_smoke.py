"""The fan-out benchmark runs end to end at a tiny size (so it never rots)."""

from __future__ import annotations

import json
from pathlib import Path

from bench.fanout import measure, report


async def test_fanout_benchmark_delivers_every_frame_and_writes_its_report(
    tmp_path: Path,
) -> None:
    result = await measure(subscribers=3, messages=2)
    assert result["delivered"] == result["expected_deliveries"] == 6
    for part in ("store_to_deliver_ms", "publish_to_deliver_ms"):
        figures = result[part]
        assert 0 <= figures["p50"] <= figures["p95"] <= figures["p99"] <= figures["max"]
    report(result, tmp_path)
    assert json.loads((tmp_path / "fanout.json").read_text())["subscribers"] == 3
    assert "publish → delivered" in (tmp_path / "fanout.md").read_text()
