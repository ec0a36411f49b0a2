"""Start `memory-mesh serve` as a real process on a free port with its own data directory
(the pattern of tests/e2e/server.py, kept here so the benchmark does not import tests).

The server is stopped with SIGINT (Ctrl-C), after which its embedded PostgreSQL stops
with it. With SIGTERM it would not: uvicorn re-raises the signal after shutting down, the
default SIGTERM action ends the process without ``atexit``, and pgserver's cleanup never
runs. As a safety net, a postmaster still running in the data directory afterwards is
stopped by its pid.
"""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

_LISTENING = re.compile(r"listening on (http://\S+)")


class ServerProcess:
    """A `memory-mesh serve` process, started at once; :meth:`url` waits until it listens
    (so several servers can start side by side), :meth:`stop` ends it.

    ``MEMORY_*`` variables of the caller are dropped so only ``env`` configures it.
    """

    def __init__(self, data_dir: Path, **env: str) -> None:
        self.data_dir = data_dir
        environment = {k: v for k, v in os.environ.items() if not k.startswith("MEMORY_")}
        environment.update(
            {"MEMORY_DATA_DIR": str(data_dir), "MEMORY_PORT": "0", "MEMORY_LOG_LEVEL": "WARNING"}
        )
        environment.update(env)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "memory_mesh.cli", "serve"],
            env=environment,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.lines: list[str] = []
        self._urls: queue.Queue[str | None] = queue.Queue()
        self._reader = threading.Thread(target=self._drain, daemon=True)
        self._reader.start()

    def _drain(self) -> None:
        """Read the output (a full pipe would block the server), watching for the URL."""
        assert self.process.stdout is not None
        with self.process.stdout:
            for line in self.process.stdout:
                self.lines.append(line)
                match = _LISTENING.search(line)
                if match:
                    self._urls.put(match[1])
        self._urls.put(None)

    def url(self, timeout: float = 120.0) -> str:
        try:
            url = self._urls.get(timeout=timeout)
        except queue.Empty:
            url = None
        if url is None:
            raise RuntimeError("server did not start:\n" + "".join(self.lines[-50:]))
        return url

    def stop(self) -> None:
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._reader.join(timeout=10)
        stop_leftover_postgres(self.data_dir / "pgdata")


def stop_leftover_postgres(pgdata: Path, timeout: float = 15.0) -> None:
    """Fast-shut-down the postmaster of ``pgdata`` if one is still running there."""
    try:
        pid = int((pgdata / "postmaster.pid").read_text().split()[0])
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
    except (OSError, ValueError, IndexError):
        return
    if str(pgdata) not in cmdline:  # the pid was reused by an unrelated process
        return
    os.kill(pid, signal.SIGINT)  # postgres: fast shutdown
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)
