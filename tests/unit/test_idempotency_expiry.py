"""Expired idempotency keys are deleted by the retention sweep (every tenant), not only
when the same tenant next claims a key; live keys stay. Uses the session's embedded
PostgreSQL (tests/conftest.py)."""

from __future__ import annotations

import uuid

from memory_mesh.domain.retention import DefaultPolicy
from memory_mesh.runtime import Runtime, limits_from
from memory_mesh.services.idempotency import Answer, IdempotencyService
from memory_mesh.services.retention import RetentionService
from tests.conftest import make_tenant


async def _keys(runtime: Runtime, tenant: str) -> set[str]:
    async with runtime.db.tenant(tenant) as conn:
        cur = await conn.execute("select key from idempotency_keys where tenant_id = %s", [tenant])
        return {row["key"] for row in await cur.fetchall()}


async def test_the_retention_sweep_deletes_expired_idempotency_keys_of_every_tenant(
    runtime: Runtime,
) -> None:
    keys = IdempotencyService(runtime.db, ttl_seconds=3600, lock_seconds=30)
    quiet, _ = await make_tenant(runtime)  # sends no key after its own expired
    busy, _ = await make_tenant(runtime)
    names = {t: [f"{t}-{n}-{uuid.uuid4().hex[:6]}" for n in range(2)] for t in (quiet, busy)}

    async def answer() -> Answer:
        return Answer(201, {"ok": True})

    for tenant, tenant_keys in names.items():
        for key in tenant_keys:
            await keys.run(tenant_id=tenant, key=key, fingerprint="f", call=answer)
    expired = [names[quiet][0], names[quiet][1], names[busy][0]]
    async with runtime.db.system() as conn:
        await conn.execute(
            "update idempotency_keys set expires_at = now() - interval '1 minute'"
            " where key = any(%s)",
            [expired],
        )

    retention = RetentionService(
        runtime.db,
        policy=DefaultPolicy(),  # off: the sweep visits no tenant's messages
        batch_size=100,
        limits=limits_from(runtime.settings),
    )
    sweep = await retention.run_all()

    assert sweep.expired_idempotency_keys >= 3  # other tests' expired keys may go too
    assert await _keys(runtime, quiet) == set()
    assert await _keys(runtime, busy) == {names[busy][1]}
    # the expired key is free again: the same key runs a new request
    again, replayed = await keys.run(
        tenant_id=busy, key=names[busy][0], fingerprint="other", call=answer
    )
    assert (again.status_code, replayed) == (201, False)
