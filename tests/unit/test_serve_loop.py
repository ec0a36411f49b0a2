"""`memory-mesh serve` runs uvicorn on uvloop when it is installed (as `uvicorn.run` would
pick), and on asyncio's own loop where it is not (Windows)."""

from __future__ import annotations

import sys

import pytest
import uvloop

from memory_mesh.cli import _server_loop_factory


def test_serve_runs_on_uvloop_where_installed() -> None:
    factory = _server_loop_factory()
    assert factory is not None
    loop = factory()
    try:
        assert isinstance(loop, uvloop.Loop)
    finally:
        loop.close()


def test_serve_falls_back_to_asyncio_without_uvloop(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "uvloop", None)  # import uvloop now raises ImportError
    assert _server_loop_factory() is None
