"""An export as a streamed JSON Lines answer, and how OpenAPI documents it: shared by the
transfer router (a tenant) and the conversations router (one conversation), without the
conversations function building the transfer routes."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from fastapi.responses import StreamingResponse

from memory_mesh.domain.transfer import MEDIA_TYPE
from memory_mesh.services.transfer import TransferService

STREAM_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {MEDIA_TYPE: {"schema": {"type": "string"}}},
        "description": "JSON Lines: a header, each conversation followed by its messages, "
        "an end line with the counts.",
    }
}


async def export_response(
    service: TransferService,
    tenant_id: str,
    *,
    conversation_id: str | None,
    include_archived: bool,
) -> StreamingResponse:
    """A streamed export; a missing conversation is a 404 before anything is sent.
    ``conversation_id`` is its UUID or its external id."""
    resolved: UUID | None = None
    if conversation_id is not None:
        resolved = (await service.conversation(tenant_id, conversation_id)).id
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    name = f"{tenant_id}-{conversation_id}" if conversation_id else tenant_id
    return StreamingResponse(
        service.export(tenant_id, conversation_id=resolved, include_archived=include_archived),
        media_type=MEDIA_TYPE,
        headers={"Content-Disposition": f'attachment; filename="{name}-{stamp}.jsonl"'},
    )
