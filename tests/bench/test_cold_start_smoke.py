"""The cold-start benchmark runs on two functions, once each (so it never rots): the run's
one `sam build` of the layer (made by the benchmark's own ``sam_build``, see
tests/infra/shared_build.py) and python3.12, as in tests/infra/test_layer_as_aws_sees_it.py."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.cold_start import main
from tests.infra.test_template import SAM_ENV, _python312

pytestmark = pytest.mark.skipif(not _python312(), reason="the layer is built for python3.12")


@pytest.mark.timeout(1200)  # the first test to ask for the run's one `sam build` makes it
def test_cold_start_benchmark_measures_each_function_and_writes_its_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sam_build: Path, runtime_boto3: Path
) -> None:
    monkeypatch.setenv("PYENV_VERSION", SAM_ENV["PYENV_VERSION"])  # python3.12 beside 3.11
    shared = ["--build-dir", str(sam_build), "--boto3-dir", str(runtime_boto3)]
    results = main(
        ["--runs", "1", "--functions", "migrate,messages", "--out", str(tmp_path), *shared]
    )
    names = [f["function"] for f in results["functions"]]
    assert names == ["messages", "migrate"]
    for function in results["functions"]:
        assert 0 < function["min_ms"] <= function["median_ms"]
        assert function["modules"] > 100
        # what the deployed layer must never pull in at import
        assert function["heavy"] == []
        assert function["ratio"] > 0  # against the dependency floor, measured beside it
    assert results["floor"]["modules"] > 100
    assert json.loads((tmp_path / "cold_start.json").read_text()) == results
    assert "| messages |" in (tmp_path / "cold_start.md").read_text()
