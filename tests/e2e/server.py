"""Start `memory-mesh serve` as a real process on a free port and wait until it listens."""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

_LISTENING = re.compile(r"listening on (http://\S+)")


@contextmanager
def running_server(
    data_dir: Path,
    *,
    output: list[str] | None = None,
    cwd: Path | None = None,
    command: list[str] | None = None,
    **env: str,
) -> Iterator[str]:
    """Yield the base URL of a fresh server process; stop it (SIGTERM) on exit.

    The process's output is drained by a thread (a full pipe would block the server) and
    kept for the failure message. ``cwd``: its working directory (where it reads ``.env``).
    ``command`` replaces ``python -m memory_mesh.cli serve`` (say, an image's start command).
    """
    environment = {k: v for k, v in os.environ.items() if not k.startswith("MEMORY_")}
    environment.update({"MEMORY_DATA_DIR": str(data_dir), "MEMORY_PORT": "0", **env})
    process = subprocess.Popen(
        command or [sys.executable, "-m", "memory_mesh.cli", "serve"],
        env=environment,
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: list[str] = output if output is not None else []
    urls: queue.Queue[str | None] = queue.Queue()

    def drain() -> None:
        assert process.stdout is not None
        with process.stdout:
            for line in process.stdout:
                lines.append(line)
                match = _LISTENING.search(line)
                if match:
                    urls.put(match[1])
        urls.put(None)

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    try:
        url = urls.get(timeout=90)
    except queue.Empty:
        url = None
    try:
        if url is None:
            raise RuntimeError("server did not start:\n" + "".join(lines))
        yield url
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        reader.join(timeout=10)
