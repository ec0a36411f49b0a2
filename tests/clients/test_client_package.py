"""The Python client builds as a package (sdist and wheel) that carries its code."""

from __future__ import annotations

import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_python_m_build_makes_an_sdist_and_a_wheel(tmp_path: Path) -> None:
    # --no-isolation: the build backend (hatchling) comes from the locked test environment
    subprocess.run(
        [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(tmp_path)],
        cwd=ROOT / "clients" / "python",
        check=True,
        capture_output=True,
    )
    wheel = next(tmp_path.glob("memory_mesh_client-*.whl"))
    sdist = next(tmp_path.glob("memory_mesh_client-*.tar.gz"))
    names = set(zipfile.ZipFile(wheel).namelist())
    assert {
        "memory_mesh_client/client.py",
        "memory_mesh_client/async_client.py",
        "memory_mesh_client/langchain.py",
        "memory_mesh_client/py.typed",
    } <= names
    metadata = (
        zipfile.ZipFile(wheel)
        .read(next(n for n in names if n.endswith(".dist-info/METADATA")))
        .decode()
    )
    assert "Provides-Extra: langchain" in metadata
    assert "Requires-Dist: httpx" in metadata
    with tarfile.open(sdist) as archive:
        assert any(n.endswith("src/memory_mesh_client/client.py") for n in archive.getnames())
