"""The released package carries the dashboard: `python -m build` (an sdist, then a wheel
built from it) puts the built static export inside both, and an installed copy of the
wheel serves it at / with no checkout and no Node."""

from __future__ import annotations

import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import httpx
import pytest

from tests.e2e.server import running_server
from tests.typescript import ROOT, require_node

pytestmark = pytest.mark.e2e


@pytest.mark.timeout(1800)  # npm ci and next build inside the package build
def test_the_built_wheel_carries_the_dashboard_and_an_installed_copy_serves_it(
    tmp_path: Path,
) -> None:
    require_node()  # the package build runs npm
    dist = tmp_path / "dist"
    build = [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(dist), str(ROOT)]
    done = subprocess.run(build, capture_output=True, text=True, timeout=1200)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]

    (wheel,) = dist.glob("*.whl")
    with zipfile.ZipFile(wheel) as archive:
        in_wheel = set(archive.namelist())
    assert "memory_mesh/dashboard/index.html" in in_wheel
    assert any(n.startswith("memory_mesh/dashboard/_next/static/") for n in in_wheel)
    (sdist,) = dist.glob("*.tar.gz")
    with tarfile.open(sdist) as archive:
        in_sdist = archive.getnames()
    assert any(n.endswith("layers/core/memory_mesh/dashboard/index.html") for n in in_sdist)

    site = tmp_path / "site"
    install = [sys.executable, "-m", "pip", "install", "--no-deps", "--quiet"]
    subprocess.run([*install, "--target", str(site), str(wheel)], check=True, timeout=300)
    packaged = site / "memory_mesh" / "dashboard"
    log: list[str] = []
    # the installed copy first on the path: the checkout's package (and frontend/out) unused
    with running_server(tmp_path / "data", output=log, PYTHONPATH=str(site)) as url:
        page = httpx.get(url + "/", timeout=30)
        assert page.status_code == 200
        asset = next(n for n in in_wheel if n.endswith(".js") and "/_next/static/" in n)
        served = httpx.get(url + asset.removeprefix("memory_mesh/dashboard"), timeout=30)
    assert page.text == (packaged / "index.html").read_text()
    assert served.status_code == 200
    assert served.headers["content-type"].startswith("text/javascript")
    assert any(f"serving the dashboard from {packaged}" in line for line in log), "".join(log)
