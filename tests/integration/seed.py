"""Rows written straight into the database for lifecycle tests (retention, analytics):
exact times, importance and states that the API would not let a client set."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from psycopg.types.json import Jsonb

from memory_mesh.runtime import Runtime


@dataclass
class Row:
    conversation_id: str
    created_at: datetime
    role: str = "user"
    content: str = "hello"
    importance: float = 0.5
    metadata: dict[str, Any] = field(default_factory=dict)
    archived: bool = False
    archived_at: datetime | None = None
    embedding_status: str = "ready"
    embedding_provider: str | None = None
    embedding_model: str | None = None
    embedding_dimensions: int | None = None
    embedding_error: str | None = None
    embedding_requested_at: datetime | None = None
    embedded_at: datetime | None = None
    id: str = field(default_factory=lambda: str(uuid.uuid4()))


async def conversation(
    runtime: Runtime, tenant: str, *, title: str = "c", created_at: datetime | None = None
) -> str:
    async with runtime.db.tenant(tenant) as conn:
        cur = await conn.execute(
            "insert into conversations (id, tenant_id, title, created_at)"
            " values (%s, %s, %s, coalesce(%s, now())) returning id",
            [uuid.uuid4(), tenant, title, created_at],
        )
        row = await cur.fetchone()
    assert row is not None
    return str(row["id"])


async def insert(runtime: Runtime, tenant: str, rows: list[Row]) -> list[str]:
    """Insert ``rows`` in one statement. Rows default to 'ready' without a vector, and
    'pending' ones are never due, so no embedding worker or sweeper of the test session
    (which embed every tenant's due rows) ever picks them up."""
    payload = [
        {
            "id": r.id,
            "conversation_id": r.conversation_id,
            "role": r.role,
            "content": r.content,
            "importance": r.importance,
            "metadata": r.metadata,
            "created_at": r.created_at.isoformat(),
            "archived": r.archived,
            "archived_at": r.archived_at.isoformat() if r.archived_at else None,
            "embedding_status": r.embedding_status,
            "embedding_provider": r.embedding_provider,
            "embedding_model": r.embedding_model,
            "embedding_dimensions": r.embedding_dimensions,
            "embedding_error": r.embedding_error,
            "embedding_requested_at": (
                r.embedding_requested_at.isoformat() if r.embedding_requested_at else None
            ),
            "embedded_at": r.embedded_at.isoformat() if r.embedded_at else None,
        }
        for r in rows
    ]
    async with runtime.db.tenant(tenant) as conn:
        await conn.execute(
            """
            insert into messages (id, tenant_id, conversation_id, role, content, importance,
                metadata, created_at, updated_at, archived, archived_at, embedding_status,
                embedding_provider, embedding_model, embedding_dimensions, embedding_error,
                embedding_requested_at, embedded_at, embedding_next_attempt_at)
            select x.id, %(tenant)s, x.conversation_id, x.role, x.content, x.importance,
                   x.metadata, x.created_at, x.created_at, x.archived, x.archived_at,
                   x.embedding_status, x.embedding_provider, x.embedding_model,
                   x.embedding_dimensions, x.embedding_error,
                   coalesce(x.embedding_requested_at, x.created_at), x.embedded_at,
                   'infinity'::timestamptz
            from jsonb_to_recordset(%(rows)s) as x(
                id uuid, conversation_id uuid, role text, content text, importance real,
                metadata jsonb, created_at timestamptz, archived boolean,
                archived_at timestamptz, embedding_status text, embedding_provider text,
                embedding_model text, embedding_dimensions int, embedding_error text,
                embedding_requested_at timestamptz, embedded_at timestamptz)
            """,
            {"tenant": tenant, "rows": Jsonb(payload)},
        )
    return [r.id for r in rows]


async def state(runtime: Runtime, tenant: str) -> dict[str, tuple[Any, ...]]:
    """Every message of the tenant: id -> (archived, archived_at, updated_at)."""
    async with runtime.db.tenant(tenant) as conn:
        cur = await conn.execute(
            "select id, archived, archived_at, updated_at from messages where tenant_id = %s",
            [tenant],
        )
        return {
            str(r["id"]): (r["archived"], r["archived_at"], r["updated_at"])
            for r in await cur.fetchall()
        }
