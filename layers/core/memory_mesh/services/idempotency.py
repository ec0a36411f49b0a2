"""Idempotency keys: a request sent again with the same ``Idempotency-Key`` (per tenant)
gets the first request's answer, status and body, and writes nothing a second time.

- same key, same request, finished: the stored answer is replayed;
- same key, another request (method, path or body differ): 422 ``idempotency_key_reused``;
- same key while the first request still runs: 409 ``request_in_progress`` (retry later);
- the first request failed (any error): the key is released, so a retry runs again.

A process that dies while holding a key leaves it locked for ``lock_seconds``; after that
a retry takes it over. Writes behind a key use ids derived from it (see
:func:`derived_id`), so even a taken-over retry cannot store a message twice.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import anyio

from memory_mesh.errors import Conflict, InvalidInput
from memory_mesh.store import idempotency as store
from memory_mesh.store.database import Database

_ID_NAMESPACE = uuid.UUID("6f1d7c2e-1b8a-4c55-9a63-0d6b6f3e8a41")


def request_hash(method: str, path: str, body: Any) -> str:
    """sha256 of the request as parsed (JSON-equal bodies hash alike)."""
    canonical = json.dumps(
        {"method": method.upper(), "path": path, "body": body},
        sort_keys=True,
        separators=(",", ":"),
        default=str,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def derived_id(tenant_id: str, key: str, index: int = 0) -> uuid.UUID:
    """A stable id for the ``index``-th object a keyed request creates."""
    return uuid.uuid5(_ID_NAMESPACE, f"{tenant_id}\x00{key}\x00{index}")


@dataclass(frozen=True)
class Answer:
    status_code: int
    body: Any


class IdempotencyService:
    def __init__(self, db: Database, *, ttl_seconds: float, lock_seconds: float) -> None:
        self.db = db
        self.ttl_seconds = ttl_seconds
        self.lock_seconds = lock_seconds

    async def run(
        self,
        *,
        tenant_id: str,
        key: str,
        fingerprint: str,
        call: Callable[[], Awaitable[Answer]],
    ) -> tuple[Answer, bool]:
        """Run ``call`` once per (tenant, key); return (answer, replayed)."""
        async with self.db.tenant(tenant_id) as conn:
            held = await store.claim(
                conn,
                tenant_id=tenant_id,
                key=key,
                request_hash=fingerprint,
                lock_seconds=self.lock_seconds,
                ttl_seconds=self.ttl_seconds,
            )
        if held is not None:
            if held.request_hash != fingerprint:
                raise InvalidInput(
                    "Idempotency-Key: already used for a different request",
                    code="idempotency_key_reused",
                    details=[{"field": "Idempotency-Key", "problem": "reused"}],
                )
            if held.status_code is None:
                raise Conflict(
                    "a request with this Idempotency-Key is still running; retry shortly",
                    code="request_in_progress",
                    headers={"Retry-After": "1"},
                )
            return Answer(held.status_code, held.response), True
        try:
            answer = await call()
        except BaseException:
            # if even this fails (database down), the lock expires by itself
            with anyio.CancelScope(shield=True), contextlib.suppress(Exception):
                async with self.db.tenant(tenant_id) as conn:
                    await store.release(conn, tenant_id=tenant_id, key=key)
            raise
        async with self.db.tenant(tenant_id) as conn:
            await store.finish(
                conn,
                tenant_id=tenant_id,
                key=key,
                status_code=answer.status_code,
                response=answer.body,
            )
        return answer, False
