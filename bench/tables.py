"""Fill a benchmark database directly with SQL: tenants, conversations and messages whose
vectors are given, loaded by binary COPY (HNSW index dropped first, rebuilt and timed
after), then VACUUM ANALYZE. Rows look like what the embedding worker leaves behind:
``embedding_status = 'ready'`` with provider, model and dimensions filled in.

Contents are short synthetic labels ("row 42"), unless a benchmark gives texts (the
corpus's, read from the benchmark data at run time, never stored in the project).
"""

from __future__ import annotations

import hashlib
import json
import re
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import psycopg
from pgvector.psycopg import register_vector
from psycopg import sql
from tqdm import tqdm

from bench.machine import load_average
from memory_mesh.embeddings import EmbedderInfo
from memory_mesh.store.embedded import start_embedded_postgres
from memory_mesh.store.migrations import migrate

# session settings for the index build; recorded with the results. The HNSW graph must
# fit in maintenance_work_mem or the build slows down sharply (pgvector warns): the halfvec
# graph of 1M rows of 384 d needs ~1.3 GB, so large tables get more.
BUILD_SETTINGS = {"maintenance_work_mem": "1GB"}
LARGE_BUILD_SETTINGS = {"maintenance_work_mem": "6GB"}
LARGE_ROWS = 500_000

MANIFEST = "bench_manifest"  # a kept database's record of what it holds


def build_settings(rows: int) -> dict[str, str]:
    return dict(LARGE_BUILD_SETTINGS if rows >= LARGE_ROWS else BUILD_SETTINGS)


@dataclass
class Layout:
    """Who owns each row: ``row_tenant[i]`` indexes ``tenants``, ``row_conversation[i]``
    indexes ``conversation_tenant`` (the tenant index of each conversation)."""

    tenants: list[str]
    row_tenant: np.ndarray
    row_conversation: np.ndarray
    conversation_tenant: np.ndarray
    large_conversations: int = 0  # conversations 0..n-1 are the large ones (single layout)

    @classmethod
    def scoped(cls, rows: int, rows_per_tenant: int) -> Layout:
        """Many tenants of ``rows_per_tenant`` rows each, one conversation per tenant."""
        row_tenant = np.arange(rows) // rows_per_tenant
        count = int(row_tenant.max()) + 1
        return cls(
            tenants=[f"t{i:05d}" for i in range(count)],
            row_tenant=row_tenant,
            row_conversation=row_tenant.copy(),
            conversation_tenant=np.arange(count),
        )

    @classmethod
    def single(
        cls, rows: int, rows_per_conversation: int, large: int = 0, large_share: float = 0.0
    ) -> Layout:
        """One tenant holding every row, in conversations of ``rows_per_conversation``;
        the first ``large`` conversations hold ``large_share`` of the rows each instead
        (a large scope inside the tenant: 1% of 1M rows is above the exact-search limit)."""
        big = int(rows * large_share) if large else 0
        if big <= rows_per_conversation or big * large >= rows:
            big, large = 0, 0
        head = large * big
        row_conversation = np.concatenate(
            [
                np.arange(head) // max(big, 1),
                large + np.arange(rows - head) // rows_per_conversation,
            ]
        ).astype(np.int64)
        return cls(
            tenants=["all"],
            row_tenant=np.zeros(rows, dtype=np.int64),
            row_conversation=row_conversation,
            conversation_tenant=np.zeros(int(row_conversation.max()) + 1, dtype=np.int64),
            large_conversations=large,
        )

    def rows_of(self, tenant: int, conversation: int | None = None) -> np.ndarray:
        if conversation is not None:
            return np.flatnonzero(self.row_conversation == conversation)
        if len(self.tenants) == 1:
            return np.arange(len(self.row_tenant))
        return np.flatnonzero(self.row_tenant == tenant)

    def fingerprint(self) -> str:
        digest = hashlib.sha256()
        for part in (self.row_tenant, self.row_conversation, self.conversation_tenant):
            digest.update(np.ascontiguousarray(part, dtype=np.int64).tobytes())
        digest.update("\x00".join(self.tenants).encode())
        return digest.hexdigest()[:16]


@contextmanager
def embedded_server(data_dir: Path) -> Iterator[str]:
    """The embedded PostgreSQL under ``data_dir`` for the benchmark's own databases;
    stopped on exit (unless another process still uses it)."""
    url = start_embedded_postgres(data_dir)
    try:
        yield url
    finally:
        import pgserver

        # the same handle start_embedded_postgres got (pgserver caches it per directory)
        pgserver.get_server(data_dir / "pgdata").cleanup()  # type: ignore[attr-defined]


def create_database(admin_url: str, name: str) -> None:
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(
            sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name))
        )
        conn.execute(sql.SQL("create database {}").format(sql.Identifier(name)))


def drop_database(admin_url: str, name: str) -> None:
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(
            sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name))
        )


def _has_table(conn: psycopg.Connection[Any], name: str) -> bool:
    row = conn.execute("select to_regclass(%s) is not null", [f"public.{name}"]).fetchone()
    return bool(row and row[0])


def row_ids(rows: int, conversations: int, seed: int) -> tuple[list[uuid.UUID], list[uuid.UUID]]:
    """Message and conversation ids of a load, from its seed (a kept database's ids are
    derived again, not read back)."""
    rng = np.random.default_rng(seed)
    ids = [uuid.UUID(bytes=rng.bytes(16), version=4) for _ in range(rows)]
    conversation_ids = [uuid.UUID(bytes=rng.bytes(16), version=4) for _ in range(conversations)]
    return ids, conversation_ids


def load_fingerprint(
    vectors: np.ndarray,
    layout: Layout,
    info: EmbedderInfo,
    seed: int,
    texts: Sequence[str] | None = None,
) -> str:
    """What a load depends on: the vectors, who owns each row, the model, the seed and
    the texts given."""
    digest = hashlib.sha256()
    digest.update(np.ascontiguousarray(vectors, dtype=np.float32).tobytes())
    for text in texts or ():
        digest.update(text.encode() + b"\0")
    digest.update(
        f"{layout.fingerprint()}|{info.provider}|{info.model}|{info.dimensions}|{seed}".encode()
    )
    return digest.hexdigest()[:24]


def database_exists(admin_url: str, name: str) -> bool:
    with psycopg.connect(admin_url, autocommit=True) as conn:
        row = conn.execute("select 1 from pg_database where datname = %s", [name]).fetchone()
    return row is not None


def kept_load(url: str, fingerprint: str) -> dict[str, Any] | None:
    """The figures of an earlier complete load with this fingerprint, else None."""
    try:
        with psycopg.connect(url, autocommit=True) as conn:
            if not _has_table(conn, MANIFEST):
                return None
            row = conn.execute(
                sql.SQL("select figures from {} where fingerprint = %s").format(
                    sql.Identifier(MANIFEST)
                ),
                [fingerprint],
            ).fetchone()
    except psycopg.OperationalError:
        return None
    return dict(row[0]) if row else None


def remember_load(url: str, fingerprint: str, figures: dict[str, Any]) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            sql.SQL(
                "create table if not exists {} (fingerprint text primary key, figures jsonb)"
            ).format(sql.Identifier(MANIFEST))
        )
        conn.execute(
            sql.SQL("insert into {} values (%s, %s::jsonb)").format(sql.Identifier(MANIFEST)),
            [fingerprint, json.dumps(figures)],
        )


def load(
    url: str,
    vectors: np.ndarray,
    layout: Layout,
    info: EmbedderInfo,
    *,
    seed: int,
    progress: bool,
    texts: Sequence[str] | None = None,
) -> dict[str, Any]:
    """Load the rows as a superuser connection (bypassing row-level security); return the
    message ids (row order), load and index-build seconds, and sizes. Row ``i``'s content
    is ``texts[i % len(texts)]``, or ``row i`` without texts."""
    rows = len(vectors)
    ids, conversation_ids = row_ids(rows, len(layout.conversation_tenant), seed)
    rng = np.random.default_rng(seed + 1)
    now = datetime.now(UTC)
    ages = rng.uniform(0, 365 * 86400, size=rows)
    importance = rng.uniform(0.2, 0.9, size=rows).round(3)
    with psycopg.connect(url, autocommit=True) as conn:
        register_vector(conn)
        hnsw = conn.execute(
            "select indexname, indexdef from pg_indexes where schemaname = 'public'"
            " and tablename = 'messages' and indexdef ilike '%using hnsw%'"
        ).fetchall()
        for name, _ in hnsw:
            conn.execute(sql.SQL("drop index {}").format(sql.Identifier(name)))
        start = time.perf_counter()
        if _has_table(conn, "tenants"):  # identity migration: conversations reference it
            with conn.cursor().copy("copy tenants (id, name) from stdin") as copy:
                for tenant in layout.tenants:
                    copy.write_row((tenant, tenant))
        with conn.cursor().copy(
            "copy conversations (id, tenant_id, title, created_at, updated_at) from stdin"
        ) as copy:
            for index, conversation in enumerate(conversation_ids):
                tenant = layout.tenants[int(layout.conversation_tenant[index])]
                copy.write_row((conversation, tenant, f"conversation {index}", now, now))
        columns = (
            "id, tenant_id, conversation_id, role, content, importance, created_at, updated_at,"
            " embedding, embedding_provider, embedding_model, embedding_dimensions,"
            " embedding_status, embedded_at, embedding_next_attempt_at"
        )
        types = [
            "uuid", "text", "uuid", "text", "text", "float4", "timestamptz", "timestamptz",
            "vector", "text", "text", "int4", "text", "timestamptz", "timestamptz",
        ]  # fmt: skip
        with conn.cursor().copy(
            f"copy messages ({columns}) from stdin with (format binary)"
        ) as copy:
            copy.set_types(types)
            for i in tqdm(range(rows), desc="  load rows", unit="row", disable=not progress):
                created = now - timedelta(seconds=float(ages[i]))
                copy.write_row(
                    (
                        ids[i],
                        layout.tenants[int(layout.row_tenant[i])],
                        conversation_ids[int(layout.row_conversation[i])],
                        "user" if i % 2 == 0 else "assistant",
                        texts[i % len(texts)] if texts else f"row {i}",
                        float(importance[i]),
                        created,
                        created,
                        vectors[i],
                        info.provider,
                        info.model,
                        info.dimensions,
                        "ready",
                        created,
                        created,
                    )
                )
        load_seconds = time.perf_counter() - start
        settings = build_settings(rows)
        for key, value in settings.items():
            conn.execute(sql.SQL("set {} = {}").format(sql.Identifier(key), sql.Literal(value)))
        workers = conn.execute("show max_parallel_maintenance_workers").fetchone()
        build_seconds = 0.0
        for _, definition in hnsw:
            start = time.perf_counter()
            conn.execute(definition)  # the migration's own definition, read back above
            build_seconds += time.perf_counter() - start
        start = time.perf_counter()
        conn.execute("vacuum (analyze) messages")
        # the exact search's index-only scan skips the heap only on all-visible pages
        # (absent from a database another checkout's migrations made)
        if conn.execute("select to_regclass('message_vectors')").fetchone() != (None,):
            conn.execute("vacuum (analyze) message_vectors")
        conn.execute("analyze conversations")
        vacuum_seconds = time.perf_counter() - start
        sizes = conn.execute(
            "select pg_total_relation_size('messages'),"
            " coalesce(sum(pg_relation_size(i.indexrelid)), 0)"
            " from pg_index i join pg_class c on c.oid = i.indexrelid"
            " join pg_am a on a.oid = c.relam where i.indrelid = 'messages'::regclass"
            " and a.amname = 'hnsw'"
        ).fetchone()
    assert sizes is not None
    return {
        "ids": ids,
        "conversation_ids": conversation_ids,
        "figures": {
            "rows": rows,
            "tenants": len(layout.tenants),
            "conversations": len(conversation_ids),
            "load_seconds": round(load_seconds, 3),
            "hnsw_indexes": len(hnsw),
            "hnsw_build_seconds": round(build_seconds, 3),
            "hnsw_index_mb": round(int(sizes[1]) / 2**20, 2),
            "table_total_mb": round(int(sizes[0]) / 2**20, 2),
            "vacuum_analyze_seconds": round(vacuum_seconds, 3),
            "hnsw_definitions": [definition for _, definition in hnsw],
            "loaded_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "load_average_after_build": load_average(),
            "build_settings": settings
            | {"max_parallel_maintenance_workers": workers[0] if workers else None},
        },
    }


def prepare(
    admin_url: str,
    name: str,
    url: str,
    vectors: np.ndarray,
    layout: Layout,
    info: EmbedderInfo,
    *,
    seed: int,
    keep: bool,
    progress: bool,
    texts: Sequence[str] | None = None,
) -> dict[str, Any]:
    """Database ``name`` (at ``url``) holding ``vectors`` in ``layout``: loaded now, or,
    with ``keep``, reused when an earlier run left the same load there (its figures are
    the original load's, marked ``reused``; migrations added since are applied). Returns
    what :func:`load` returns."""
    fingerprint = load_fingerprint(vectors, layout, info, seed, texts) if keep else ""
    if keep and database_exists(admin_url, name):
        figures = kept_load(url, fingerprint)
        if figures is not None:
            ids, conversation_ids = row_ids(len(vectors), len(layout.conversation_tenant), seed)
            with psycopg.connect(url, autocommit=True) as conn:
                row = conn.execute(
                    "select count(*), count(*) filter (where id = any(%s)) from messages",
                    [[ids[0], ids[-1]]],
                ).fetchone()
            if row is not None and row[0] == len(vectors) and row[1] == 2:
                if progress:
                    tqdm.write(f"  reusing database {name} ({len(vectors):,} rows)")
                # the schema this checkout measures: migrations added since the load
                migrate(url, dimensions=info.dimensions)
                return {
                    "ids": ids,
                    "conversation_ids": conversation_ids,
                    "figures": figures | {"reused": True},
                }
    create_database(admin_url, name)
    migrate(url, dimensions=info.dimensions)
    loaded = load(url, vectors, layout, info, seed=seed, progress=progress, texts=texts)
    loaded["figures"]["reused"] = False
    if keep:
        remember_load(url, fingerprint, loaded["figures"])
    return loaded


def hnsw_sizes(conn: psycopg.Connection[Any]) -> float:
    """Megabytes of the HNSW indexes on ``messages``."""
    row = conn.execute(
        "select coalesce(sum(pg_relation_size(i.indexrelid)), 0) from pg_index i"
        " join pg_class c on c.oid = i.indexrelid join pg_am a on a.oid = c.relam"
        " where i.indrelid = 'messages'::regclass and a.amname = 'hnsw'"
    ).fetchone()
    return round(int(row[0]) / 2**20, 2) if row else 0.0


def rebuild_hnsw(url: str, m: int, ef_construction: int, rows: int) -> dict[str, Any]:
    """Replace the HNSW index by the migration's definition with other ``m`` and
    ``ef_construction``; return its build seconds and size."""
    with psycopg.connect(url, autocommit=True) as conn:
        found = conn.execute(
            "select indexname, indexdef from pg_indexes where schemaname = 'public'"
            " and tablename = 'messages' and indexdef ilike '%using hnsw%'"
        ).fetchall()
        if len(found) != 1:
            raise RuntimeError(f"expected one HNSW index on messages, found {len(found)}")
        name, definition = found[0]
        new = re.sub(r"with \(.*\)\s*$", "", definition, flags=re.IGNORECASE).rstrip()
        new += f" WITH (m='{int(m)}', ef_construction='{int(ef_construction)}')"
        settings = build_settings(rows)
        for key, value in settings.items():
            conn.execute(sql.SQL("set {} = {}").format(sql.Identifier(key), sql.Literal(value)))
        conn.execute(sql.SQL("drop index {}").format(sql.Identifier(name)))
        start = time.perf_counter()
        conn.execute(new)
        seconds = time.perf_counter() - start
        conn.execute("analyze messages")
        return {
            "m": m,
            "ef_construction": ef_construction,
            "build_seconds": round(seconds, 3),
            "index_mb": hnsw_sizes(conn),
            "definition": new,
            "load_average_after_build": load_average(),
        }
