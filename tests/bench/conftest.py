"""What every benchmark smoke test shares."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.bench.support import bench_work_dir


@pytest.fixture
def work_dir() -> Iterator[Path]:
    """A fresh work directory for one test (:func:`bench_work_dir`)."""
    with bench_work_dir() as path:
        yield path
