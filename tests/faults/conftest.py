"""A server stopped with SIGTERM (or killed) leaves the embedded PostgreSQL it started
running (see bench/server.py); stop whatever a fault test left in its data directory."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.server import stop_leftover_postgres


@pytest.fixture(autouse=True)
def _stop_leftover_postgres(tmp_path: Path) -> Iterator[None]:
    yield
    if (tmp_path / "pgdata").exists():
        stop_leftover_postgres(tmp_path / "pgdata")
