"""The TypeScript client package (clients/typescript) for the tests: its npm dependencies
installed from the committed lock, and npm / node run in it."""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import tempfile
import zlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CLIENT_DIR = ROOT / "clients" / "typescript"


def run(*command: str, cwd: Path = CLIENT_DIR, env: dict[str, str] | None = None) -> str:
    """Run a command; fail the test with its output when it fails."""
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
    if done.returncode != 0:
        shown = " ".join(command)
        pytest.fail(f"{shown} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return done.stdout


def require_node() -> None:
    """Node and npm, unless the run opted out of everything Node (SKIP_FRONTEND=1 for
    scripts/test.sh, as for the dashboard's tests): then the test says so and skips."""
    if os.environ.get("SKIP_FRONTEND"):
        pytest.skip("SKIP_FRONTEND is set: no Node.js checks in this run")
    if shutil.which("npm") is None:
        pytest.fail("this test needs Node.js 20.19+ and npm on PATH (or set SKIP_FRONTEND=1)")


def installed_client() -> Path:
    """clients/typescript with node_modules from package-lock.json (npm ci when missing or
    older than the lock)."""
    require_node()
    marker = CLIENT_DIR / "node_modules" / ".package-lock.json"
    lock = CLIENT_DIR / "package-lock.json"
    # tests on two xdist workers may both find node_modules missing: one installs, the
    # other waits for it (two `npm ci` in one folder remove each other's files)
    held_path = Path(tempfile.gettempdir()) / f"npm-ci-{zlib.crc32(bytes(CLIENT_DIR)):08x}.lock"
    with open(held_path, "w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        if not marker.is_file() or marker.stat().st_mtime < lock.stat().st_mtime:
            run("npm", "ci", "--no-audit", "--no-fund", "--loglevel=error")
    return CLIENT_DIR
