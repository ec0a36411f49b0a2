"""The signing key a local server generates in its data directory: processes that start
together on one directory all get the same whole key, none fails."""

from __future__ import annotations

import multiprocessing
import stat
from pathlib import Path
from typing import Any

from memory_mesh.config import Settings
from memory_mesh.runtime import jwt_secret

PROCESSES = 6


def _secret_at_once(data_dir: str, barrier: Any, found: Any) -> None:
    settings = Settings(environment="test", data_dir=Path(data_dir))
    barrier.wait()  # every process looks for the key at the same moment
    try:
        found.put(jwt_secret(settings))
    except Exception as exc:  # reported to the test, which fails on it
        found.put(f"failed: {exc!r}")


def test_processes_starting_together_share_one_whole_key(tmp_path: Path) -> None:
    context = multiprocessing.get_context("fork")
    for attempt in range(5):
        data_dir = tmp_path / f"data-{attempt}"
        barrier, queue = context.Barrier(PROCESSES), context.Queue()
        processes = [
            context.Process(target=_secret_at_once, args=(str(data_dir), barrier, queue))
            for _ in range(PROCESSES)
        ]
        for process in processes:
            process.start()
        found = [queue.get(timeout=30) for _ in processes]
        for process in processes:
            process.join(timeout=30)
        assert len(set(found)) == 1 and len(found[0]) >= 64, found
        key = data_dir / "jwt-secret"
        assert key.read_text().strip() == found[0]
        assert stat.S_IMODE(key.stat().st_mode) == 0o600
        assert [p.name for p in data_dir.iterdir()] == ["jwt-secret"]  # no draft left


def test_a_configured_key_is_used_as_it_is(tmp_path: Path) -> None:
    settings = Settings(environment="test", data_dir=tmp_path, jwt_secret_key="k" * 40)
    assert jwt_secret(settings) == "k" * 40
    assert not (tmp_path / "jwt-secret").exists()
