"""Versioned schema migrations: ``store/migrations/NNNN_name.sql``, applied in order once.

Run by ``memory-mesh migrate``, at start on the embedded database, and at deploy time in
the cloud. An advisory lock serialises concurrent runners; each file runs in its own
transaction with its version recorded, so a failed migration leaves nothing half-done.

A file whose first line is ``-- migrate: no-transaction`` (an index built
``concurrently``, which no transaction may hold) runs one statement at a time instead, its
version recorded after the last: its statements must be safe to run again after a
failure, and it must not hold a dollar-quoted body (statements end at a ``;`` ending a
line).
"""

from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass
from importlib import resources

import psycopg

from memory_mesh.config import ConfigError

log = logging.getLogger(__name__)

_LOCK_KEY = 7_112_026  # advisory lock id for migrations
_FILE = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")
_NO_TRANSACTION = "-- migrate: no-transaction"
_STATEMENT_END = re.compile(r";[ \t]*$", re.MULTILINE)
# the most dimensions whose halfvec fits a B-tree entry (~2.7 kB) beside the scope columns:
# ``{indexed_vector}`` in a migration is the vector column up to this size, else nothing
MAX_INDEXED_DIMENSIONS = 1200


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str

    @property
    def transactional(self) -> bool:
        return not self.sql.startswith(_NO_TRANSACTION)

    def statements(self, dimensions: int) -> list[str]:
        """The file's statements, with the dimension filled in, as one (transactional) or
        one by one (a no-transaction file)."""
        text = self.sql.replace("{dimensions}", str(int(dimensions))).replace(
            "{indexed_vector}", ", embedding" if dimensions <= MAX_INDEXED_DIMENSIONS else ""
        )
        if self.transactional:
            return [text]
        return [part for part in _STATEMENT_END.split(text) if _has_code(part)]


def _has_code(text: str) -> bool:
    return any(line.strip() and not line.strip().startswith("--") for line in text.splitlines())


def available_migrations() -> list[Migration]:
    """The packaged migrations, ordered by version."""
    found = []
    for entry in resources.files("memory_mesh.store").joinpath("migrations").iterdir():
        match = _FILE.match(entry.name)
        if match:
            found.append(Migration(int(match[1]), match[2], entry.read_text("utf-8")))
    return sorted(found, key=lambda m: m.version)


def migrate(url: str, *, dimensions: int) -> list[int]:
    """Apply pending migrations to the database at ``url``; return the versions applied.

    Raises ConfigError if the database was created for another embedding dimension.
    """
    applied: list[int] = []
    with psycopg.connect(url, autocommit=True) as conn:
        _take_lock(conn)
        try:
            conn.execute(
                "create table if not exists schema_migrations ("
                " version integer primary key, name text not null,"
                " applied_at timestamptz not null default now())"
            )
            done = {row[0] for row in conn.execute("select version from schema_migrations")}
            for migration in available_migrations():
                if migration.version in done:
                    continue
                if migration.transactional:
                    with conn.transaction():
                        conn.execute(migration.statements(dimensions)[0])
                        _record(conn, migration)
                else:  # autocommit: each statement on its own, the version after the last
                    for statement in migration.statements(dimensions):
                        conn.execute(statement)
                    _record(conn, migration)
                log.info("applied migration %04d_%s", migration.version, migration.name)
                applied.append(migration.version)
            _check_dimensions(conn, dimensions)
        finally:
            conn.execute("select pg_advisory_unlock(%s)", [_LOCK_KEY])
    return applied


def _take_lock(conn: psycopg.Connection[tuple[object, ...]]) -> None:
    """The migration lock, polled rather than waited for: a session blocked inside
    ``pg_advisory_lock`` holds a snapshot, and ``create index concurrently`` in the session
    holding the lock waits for every older snapshot, so two processes starting at once
    deadlocked. Between polls (autocommit) this session holds none."""
    while True:
        row = conn.execute("select pg_try_advisory_lock(%s)", [_LOCK_KEY]).fetchone()
        if row is not None and row[0]:
            return
        time.sleep(0.1)


def _record(conn: psycopg.Connection[tuple[object, ...]], migration: Migration) -> None:
    conn.execute(
        "insert into schema_migrations (version, name) values (%s, %s)",
        [migration.version, migration.name],
    )


def _check_dimensions(conn: psycopg.Connection[tuple[object, ...]], dimensions: int) -> None:
    row = conn.execute(
        "select value from memory_mesh_settings where key = 'embedding_dimensions'"
    ).fetchone()
    if row is not None and int(str(row[0])) != dimensions:
        raise ConfigError(
            f"MEMORY_EMBEDDING_DIMENSIONS is {dimensions} but the database stores "
            f"{row[0]}-dimension vectors; use the original dimension or a new database "
            "(changing model means re-embedding)"
        )
