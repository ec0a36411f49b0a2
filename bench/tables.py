"""Fill a benchmark database directly with SQL: tenants, conversations and messages whose
vectors are given, loaded by binary COPY (HNSW index dropped first, rebuilt and timed
after), then VACUUM ANALYZE. Rows look like what the embedding worker leaves behind:
``embedding_status = 'ready'`` with provider, model and dimensions filled in.

Contents are short synthetic labels ("row 42"), never corpus text.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
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

from memory_mesh.embeddings import EmbedderInfo
from memory_mesh.store.embedded import start_embedded_postgres

# session settings for the index build; recorded with the results
BUILD_SETTINGS = {"maintenance_work_mem": "1GB"}


@dataclass
class Layout:
    """Who owns each row: ``row_tenant[i]`` indexes ``tenants``, ``row_conversation[i]``
    indexes ``conversation_tenant`` (the tenant index of each conversation)."""

    tenants: list[str]
    row_tenant: np.ndarray
    row_conversation: np.ndarray
    conversation_tenant: np.ndarray

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
    def single(cls, rows: int, rows_per_conversation: int) -> Layout:
        """One tenant holding every row, in conversations of ``rows_per_conversation``."""
        row_conversation = np.arange(rows) // rows_per_conversation
        return cls(
            tenants=["all"],
            row_tenant=np.zeros(rows, dtype=np.int64),
            row_conversation=row_conversation,
            conversation_tenant=np.zeros(int(row_conversation.max()) + 1, dtype=np.int64),
        )

    def rows_of(self, tenant: int) -> np.ndarray:
        return np.flatnonzero(self.row_tenant == tenant)


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


def load(
    url: str,
    vectors: np.ndarray,
    layout: Layout,
    info: EmbedderInfo,
    *,
    seed: int,
    progress: bool,
) -> dict[str, Any]:
    """Load the rows as a superuser connection (bypassing row-level security); return the
    message ids (row order), load and index-build seconds, and sizes."""
    rng = np.random.default_rng(seed)
    rows = len(vectors)
    ids = [uuid.UUID(bytes=rng.bytes(16), version=4) for _ in range(rows)]
    conversation_ids = [
        uuid.UUID(bytes=rng.bytes(16), version=4) for _ in range(len(layout.conversation_tenant))
    ]
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
                        f"row {i}",
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
        for key, value in BUILD_SETTINGS.items():
            conn.execute(sql.SQL("set {} = {}").format(sql.Identifier(key), sql.Literal(value)))
        workers = conn.execute("show max_parallel_maintenance_workers").fetchone()
        build_seconds = 0.0
        for _, definition in hnsw:
            start = time.perf_counter()
            conn.execute(definition)  # the migration's own definition, read back above
            build_seconds += time.perf_counter() - start
        start = time.perf_counter()
        conn.execute("vacuum (analyze) messages")
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
            "build_settings": dict(BUILD_SETTINGS)
            | {"max_parallel_maintenance_workers": workers[0] if workers else None},
        },
    }
