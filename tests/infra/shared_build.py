"""What several tests need and only one should make: `sam build` of template.yaml (it
pip-installs the whole layer for python3.12: minutes) and boto3 as the python3.12 runtime
provides it. Made by the cold-start benchmark's own functions, once per test run: under a
file lock in the run's temp root, so two xdist workers never make them twice."""

from __future__ import annotations

import fcntl
import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from bench import cold_start
from tests.infra.test_template import SAM_ENV


def run_root(factory: pytest.TempPathFactory) -> Path:
    """The temp folder of the whole run: every xdist worker's basetemp is a child of it."""
    base = factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


def made_once(factory: pytest.TempPathFactory, name: str, make: Callable[[Path], None]) -> Path:
    """``<run root>/<name>``, made by ``make`` the first time any worker asks; a make that
    failed leaves no mark, so the next one to ask tries again (and fails with the cause)."""
    root = run_root(factory)
    target = root / name
    with open(root / f"{name}.lock", "w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        if not (root / f"{name}.done").is_file():
            shutil.rmtree(target, ignore_errors=True)
            target.mkdir(parents=True)
            with pytest.MonkeyPatch.context() as env:  # python3.12 beside 3.11 (pyenv)
                env.setenv("PYENV_VERSION", SAM_ENV["PYENV_VERSION"])
                make(target)
            (root / f"{name}.done").touch()
    return target


def sam_build(factory: pytest.TempPathFactory) -> Path:
    """The `sam build` output of the whole template (functions and CoreLayer)."""
    return made_once(factory, "sam-build", cold_start.sam_build)


def runtime_boto3(factory: pytest.TempPathFactory) -> Path:
    """boto3 at the locked version, installed for python3.12 (no layer copy: the runtime's)."""
    found = made_once(factory, "runtime-boto3", cold_start.boto3_dir)
    assert (found / "boto3").is_dir(), "boto3 is missing from the test lock"
    return found
