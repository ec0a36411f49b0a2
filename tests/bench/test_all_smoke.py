"""The one-command suite: runs a stage as its own process, gathers its headline into
summary.md, and reports a failing stage by its exit status."""

from __future__ import annotations

import importlib
import json
from pathlib import Path

import pytest

from bench import all as suite
from tests.infra.test_template import SAM_ENV


@pytest.mark.timeout(1200)  # the first test to ask for the run's one `sam build` makes it
def test_suite_runs_a_stage_and_summarises_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sam_build: Path, runtime_boto3: Path
) -> None:
    monkeypatch.setenv("PYENV_VERSION", SAM_ENV["PYENV_VERSION"])  # python3.12 beside 3.11
    given = ["--sam-build", str(sam_build), "--boto3-dir", str(runtime_boto3)]
    assert suite.main(["--only", "cold_start", "--quick", "--out", str(tmp_path), *given]) == 0
    results = json.loads((tmp_path / "cold_start.json").read_text())
    assert results["runs"] == 1 and len(results["functions"]) >= 10
    summary = (tmp_path / "summary.md").read_text()
    assert "| cold_start | Lambda import time" in summary
    assert "| cold_start | 0 |" in summary  # this run's stage table: exit status 0


def test_a_failing_stage_fails_the_suite(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    broken = suite.Stage("cold_start", "bench.no_such_module", (), (), "missing on purpose")
    monkeypatch.setattr(suite, "STAGES", (broken,))
    assert suite.main(["--out", str(tmp_path)]) == 1
    assert "| cold_start | 1 |" in (tmp_path / "summary.md").read_text()


def test_unknown_stage_is_refused() -> None:
    with pytest.raises(SystemExit) as exit_info:
        suite.main(["--only", "nonsense"])
    assert exit_info.value.code == 2


@pytest.mark.parametrize("quick", [True, False], ids=["quick", "full"])
def test_every_stage_command_line_is_one_its_benchmark_accepts(quick: bool) -> None:
    """What each stage passes (with ``--out``) parses, for the benchmarks with a ``parse``
    (``bench.all --quick`` once passed ``--quick`` to one that has none)."""
    checked = []
    for stage in suite.STAGES:
        module = importlib.import_module("bench.run" if stage.module == "bench" else stage.module)
        if hasattr(module, "parse"):
            argv = suite.command(stage, quick, Path("/tmp/out"))[3:]
            assert module.parse(argv).out == Path("/tmp/out"), stage.name
            checked.append(stage.name)
    assert {"core", "concurrency", "side_by_side", "quality", "footprint"} <= set(checked)


def test_the_cold_start_stage_is_given_the_build_and_boto3_it_is_told_to_measure() -> None:
    (stage,) = [s for s in suite.STAGES if s.name == "cold_start"]
    given = {"cold_start": ("--build-dir", "/b", "--boto3-dir", "/o")}
    assert suite.command(stage, True, Path("/tmp/out"), given)[3:] == [
        *("--runs", "1", "--build-dir", "/b", "--boto3-dir", "/o", "--out", "/tmp/out")
    ]
    (other,) = [s for s in suite.STAGES if s.name == "fanout"]
    assert "--build-dir" not in suite.command(other, True, Path("/tmp/out"), given)
