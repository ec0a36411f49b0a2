"""INTEGRATION.md's examples (Python, JavaScript, Go; each a file under examples/) run as
they are, as subprocesses, against one real ``memory-mesh serve``."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.server import running_server

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"


@pytest.fixture(scope="module")
def server_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with running_server(tmp_path_factory.mktemp("examples")) as url:
        yield url


def _program(name: str) -> str:
    found = shutil.which(name)
    if found is None:  # scripts/test.sh installs what is missing (golang-go for Go)
        pytest.fail(f"`{name}` is not installed; the examples test runs every language")
    return found


def _run(command: list[str], url: str, cwd: Path, **env: str) -> str:
    done = subprocess.run(
        command,
        cwd=cwd,
        env={**os.environ, "MEMORY_MESH_URL": url, **env},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def _check(output: str) -> None:
    lines = output.splitlines()
    assert re.fullmatch(r"stored 3 messages in user-123 \(server id [0-9a-f-]{36}\)", lines[0]), (
        output
    )
    assert lines[1].startswith("top hit: I need help with Python programming (score 0."), output
    assert lines[2] == "conversation user-123 holds 3 messages", output


def test_the_python_example_runs(server_url: str) -> None:
    _check(_run([sys.executable, "examples/python/quickstart.py"], server_url, ROOT))


def test_the_javascript_example_runs(server_url: str) -> None:
    _check(_run([_program("node"), "examples/javascript/quickstart.mjs"], server_url, ROOT))


def test_the_go_example_builds_vets_and_runs(server_url: str, tmp_path: Path) -> None:
    go = _program("go")
    # a build cache of the test's own: no write outside the temporary directory
    cache = {"GOCACHE": str(tmp_path / "cache"), "GOPATH": str(tmp_path / "gopath"),
             "GOFLAGS": "-mod=mod", "GOTOOLCHAIN": "local"}  # fmt: skip
    _run([go, "vet", "."], server_url, EXAMPLES / "go", **cache)
    _check(_run([go, "run", "."], server_url, EXAMPLES / "go", **cache))
