"""The concurrency benchmark end to end at a tiny size: both transports (real HTTP
against `memory-mesh serve`, and the service in process), both workloads, every level;
the results hold every figure with sane values (no timing thresholds)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.concurrency import ConcurrencyConfig, Options, parse, run
from bench.data import DEFAULT_LOCOMO

pytestmark = pytest.mark.e2e

CLIENTS = (1, 3)
ROUNDS = 2


def test_concurrency_benchmark_runs_at_a_tiny_size(tmp_path: Path, work_dir: Path) -> None:
    locomo = DEFAULT_LOCOMO if DEFAULT_LOCOMO.is_file() else None
    out = tmp_path / "results"
    options = Options(
        config=ConcurrencyConfig(
            rows=300,
            clients=CLIENTS,
            seconds=0.4,
            warmup_seconds=0.2,
            rounds=ROUNDS,
            real_vectors=150,
            questions=40,
            progress=False,
        ),
        locomo=locomo,
        out=out,
        work_dir=work_dir,
        command="pytest tests/bench",
    )
    run(options)

    results = json.loads((out / "concurrency.json").read_text("utf-8"))
    assert results["machine"]["cpu_count"] and results["duration_seconds"] > 0
    conc = results["concurrency"]
    assert conc["error_samples"] == {}
    seen = {(lv["workload"], lv["transport"], lv["clients"]) for lv in conc["levels"]}
    assert seen == {
        (w, t, c) for w in ("scoped", "unscoped") for t in ("http", "service") for c in CLIENTS
    }
    for level in conc["levels"]:
        assert level["errors"] == 0
        assert level["qps"] > 0
        latency = level["latency_ms"]
        assert 0 < latency["p50"] <= latency["p95"] <= latency["p99"]
        assert len(level["rounds"]) == ROUNDS
        for figures in level["rounds"]:
            assert figures["queries"] >= level["clients"]  # each client finished one
        if level["clients"] == 1:
            assert level["speedup_vs_1"] == 1.0
        assert level["machine_cpu_busy"] is None or 0 <= level["machine_cpu_busy"] <= 1
        if Path("/proc/self/stat").exists():  # the stack's own CPU, from /proc
            assert level["stack_cpu_cores"] > 0 and level["stack_cpu_ms_per_query"] > 0
    markdown = (out / "concurrency.md").read_text("utf-8")
    assert "| scoped | http | 3 |" in markdown and "Where throughput stops growing" in markdown
    assert (out / "concurrency.png").stat().st_size > 0


def test_the_command_line_is_parsed() -> None:
    options = parse(["--rows", "1000", "--clients", "1,2", "--transports", "service"])
    assert options.config.rows == 1000 and options.config.clients == (1, 2)
    assert options.config.transports == ("service",)
    with pytest.raises(SystemExit):
        parse(["--workloads", "nope"])
