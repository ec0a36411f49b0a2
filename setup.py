"""Packaging hook (the rest is in pyproject.toml): every wheel and sdist carries the web
dashboard, built from frontend/ at package build time and never committed.

- wheel: build_py runs scripts/build-dashboard.sh (npm ci when needed, next build) and
  copies frontend/out to memory_mesh/dashboard in the wheel; from an unpacked sdist it
  copies the dashboard the sdist already holds. Without npm the build fails: a released
  wheel always includes the dashboard.
- sdist: holds the built dashboard as memory_mesh/dashboard, so installing it needs no Node.
- editable install (pip install -e .): nothing is built; `memory-mesh serve` serves
  frontend/out once built, else a page at / saying what to run.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py
from setuptools.command.sdist import sdist

ROOT = Path(__file__).resolve().parent
PACKAGED = Path("layers", "core", "memory_mesh", "dashboard")  # inside an unpacked sdist
EXPORT = ROOT / "frontend" / "out"


def built_dashboard() -> Path:
    """The built static export: the sdist's copy, else a fresh build of frontend/."""
    if (ROOT / PACKAGED / "index.html").is_file():
        return ROOT / PACKAGED
    script = ROOT / "scripts" / "build-dashboard.sh"
    if not script.is_file():
        raise SystemExit("no built dashboard and no frontend/ to build it from")
    if shutil.which("npm") is None:
        raise SystemExit(
            "building memory-mesh needs Node.js 20.19+ and npm: the wheel carries the web "
            "dashboard (or install editable: pip install -e .)"
        )
    subprocess.run(["bash", str(script)], check=True)
    if not (EXPORT / "index.html").is_file():
        raise SystemExit(f"scripts/build-dashboard.sh left no {EXPORT / 'index.html'}")
    return EXPORT


class BuildPyWithDashboard(build_py):
    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return  # the checkout's frontend/out is served directly (memory_mesh/http/static.py)
        target = Path(self.build_lib, "memory_mesh", "dashboard")
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(built_dashboard(), target)


class SdistWithDashboard(sdist):
    def make_release_tree(self, base_dir: str, files: list[str]) -> None:
        super().make_release_tree(base_dir, files)
        target = Path(base_dir, PACKAGED)
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(built_dashboard(), target)


setup(cmdclass={"build_py": BuildPyWithDashboard, "sdist": SdistWithDashboard})
