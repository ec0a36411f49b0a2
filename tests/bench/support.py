"""Helpers the benchmark smoke tests share."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def bench_work_dir() -> Iterator[Path]:
    """A benchmark's databases and caches, outside pytest's base temp: run as root,
    pgserver starts PostgreSQL as another user, and each new pytest session chmods that
    base temp back to 0700. Removed afterwards."""
    path = Path(tempfile.mkdtemp(prefix="mm-bench-smoke-"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)
