"""Messages stored through the HTTP batch endpoint, for the search tests."""

from __future__ import annotations

import httpx


async def store_batch(
    client: httpx.AsyncClient, tenant: str, conv: str, texts: list[str]
) -> list[str]:
    """Store ``texts`` as user messages of ``conv`` in one batch; their ids, in order."""
    items = [{"conversation_id": conv, "role": "user", "content": t} for t in texts]
    body = (
        await client.post("/v1/messages/batch", json={"tenant_id": tenant, "items": items})
    ).json()
    assert body["failed"] == 0, body
    return [r["id"] for r in body["results"]]
