"""The retention function, invoked in-process with the committed EventBridge scheduled
event and a Lambda context, applies the default policy on the real database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import anyio
import pytest

from memory_mesh.cloud.sqs_poller import LocalLambdaContext
from memory_mesh.domain.models import Role
from memory_mesh.runtime import Runtime
from memory_mesh.services.messages import MessageInput
from tests.conftest import JWT_SECRET, make_tenant
from tests.infra.lambda_support import load_event, load_function


async def test_the_scheduled_retention_function_archives_by_the_default_policy(
    monkeypatch: pytest.MonkeyPatch, database_url: str, runtime: Runtime
) -> None:
    tenant, _ = await make_tenant(runtime)
    conv, _ = await runtime.conversations.create(tenant, title=None, metadata={})
    old = datetime.now(UTC) - timedelta(days=400)
    results = await runtime.messages.create_batch(
        tenant,
        [
            MessageInput(
                conversation_id=conv.id,
                role=Role.user,
                content="stale small talk",
                importance=0.1,
                created_at=old,
            ),
            MessageInput(
                conversation_id=conv.id,
                role=Role.user,
                content="stale but vital",
                importance=0.9,
                created_at=old,
            ),
            MessageInput(
                conversation_id=conv.id, role=Role.user, content="fresh small talk", importance=0.1
            ),
        ],
    )
    ids = [r.id for r in results]
    module = load_function(
        "retention",
        monkeypatch,
        {
            "MEMORY_ENVIRONMENT": "test",
            "MEMORY_DATABASE_URL": database_url,
            "MEMORY_AUTO_MIGRATE": "false",
            "MEMORY_JWT_SECRET_KEY": JWT_SECRET,
            "MEMORY_EMBEDDING_PROVIDER": "deterministic",
            "MEMORY_RETENTION_MAX_AGE_DAYS": "365",
            "MEMORY_RETENTION_IMPORTANCE_THRESHOLD": "0.5",
            "MEMORY_DB_POOL_MAX_SIZE": "2",
        },
    )
    try:
        # a Lambda handler is synchronous and runs its own loop: call it from a thread
        result = await anyio.to_thread.run_sync(
            module.lambda_handler,
            load_event("events_scheduled"),
            # the template's timeout: the sweep keeps 30 s in reserve before stopping
            LocalLambdaContext(function_name="retention", timeout_seconds=300.0),
        )
    finally:
        await anyio.to_thread.run_sync(module.container.close)
    assert result["archived"] >= 1 and result["failed"] == []
    archived = {m.id: m.archived for m in [await runtime.messages.get(tenant, i) for i in ids]}
    assert archived == {ids[0]: True, ids[1]: False, ids[2]: False}
