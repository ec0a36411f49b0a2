"""/v1/conversations: create, list (cursor or numbered pages), read, change, delete, statistics,
export (JSON Lines, see routers/transfer.py)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response, status
from fastapi.responses import StreamingResponse

from memory_mesh.domain.conversation_ref import EXTERNAL_ID_PATTERN, REF_DESCRIPTION
from memory_mesh.domain.identity import Scope
from memory_mesh.http.bodies.base import TenantId
from memory_mesh.http.bodies.conversations import (
    ConversationCreate,
    ConversationOut,
    ConversationPage,
    ConversationStats,
    ConversationUpdate,
    DeletedConversation,
    MessagePage,
)
from memory_mesh.http.bodies.messages import MessageOut
from memory_mesh.http.deps import ConversationsDep, PagingDep, TransferDep
from memory_mesh.http.export_stream import STREAM_RESPONSE, export_response
from memory_mesh.http.idempotency import IdempotencyDep
from memory_mesh.http.routers.common import ERRORS
from memory_mesh.http.security import AccessDep

router = APIRouter(prefix="/v1/conversations", tags=["conversations"], responses=ERRORS)

TenantQuery = Annotated[TenantId | None, Query(description="Tenant the conversation belongs to.")]
# the server's UUID or the client's external id (e.g. /v1/conversations/user-123)
ConversationPath = Annotated[
    str, Path(pattern=EXTERNAL_ID_PATTERN, description=REF_DESCRIPTION, examples=["user-123"])
]


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    summary="Create a conversation",
    responses={200: {"model": ConversationOut, "description": "Already created (retry)."}},
    response_model=ConversationOut,
)
async def create_conversation(
    body: ConversationCreate,
    service: ConversationsDep,
    access: AccessDep,
    response: Response,
    idempotency: IdempotencyDep,
) -> ConversationOut | Response:
    tenant_id = await access.tenant(body.tenant_id, Scope.write)

    async def create() -> ConversationOut:
        conversation, created = await service.create(
            tenant_id,
            title=body.title,
            metadata=body.metadata,
            # an external id keeps a re-run from creating a second one by itself
            conversation_id=body.id
            or (None if body.external_id else idempotency.derived_id(tenant_id)),
            external_id=body.external_id,
        )
        if not created:
            response.status_code = status.HTTP_200_OK
        return ConversationOut.of(conversation)

    return await idempotency.run(tenant_id, body, status.HTTP_201_CREATED, create)


@router.get("", summary="List conversations, newest first")
async def list_conversations(
    service: ConversationsDep,
    access: AccessDep,
    paging: PagingDep,
    tenant_id: TenantQuery = None,
) -> ConversationPage:
    tenant = await access.tenant(tenant_id, Scope.read)
    page = await service.list(
        tenant, limit=paging.limit, cursor=paging.cursor, offset=paging.offset
    )
    return ConversationPage(
        items=[ConversationOut.of(c) for c in page.items], next_cursor=page.next_cursor
    )


@router.get("/{conversation_id}", summary="Read a conversation")
async def get_conversation(
    conversation_id: ConversationPath,
    service: ConversationsDep,
    access: AccessDep,
    tenant_id: TenantQuery = None,
) -> ConversationOut:
    tenant = await access.tenant(tenant_id, Scope.read)
    return ConversationOut.of(await service.get(tenant, conversation_id))


@router.put("/{conversation_id}", summary="Change a conversation's title or metadata")
async def update_conversation(
    conversation_id: ConversationPath,
    body: ConversationUpdate,
    service: ConversationsDep,
    access: AccessDep,
) -> ConversationOut:
    tenant_id = await access.tenant(body.tenant_id, Scope.write)
    sent = body.model_fields_set
    updated = await service.update(
        tenant_id,
        conversation_id,
        title=body.title,
        set_title="title" in sent,
        metadata=body.metadata,
    )
    return ConversationOut.of(updated)


@router.delete("/{conversation_id}", summary="Delete a conversation and its messages")
async def delete_conversation(
    conversation_id: ConversationPath,
    service: ConversationsDep,
    access: AccessDep,
    tenant_id: TenantQuery = None,
) -> DeletedConversation:
    tenant = await access.tenant(tenant_id, Scope.write)
    conversation, removed = await service.delete(tenant, conversation_id)
    return DeletedConversation(
        id=conversation.id, external_id=conversation.external_id, deleted_messages=removed
    )


@router.get(
    "/{conversation_id}/messages",
    summary="A conversation's messages, oldest first",
    description=(
        "Reading order: by `created_at`, and messages with the same `created_at` (a batch"
        " sent without times shares its request's) in the order they were stored, as their"
        " context and the export have them. `next_cursor` resumes after the page's last"
        " message; if that message is deleted meanwhile, the next page starts again at its"
        " `created_at`, so a message of the same time may come twice but none is skipped."
    ),
)
async def conversation_messages(
    conversation_id: ConversationPath,
    service: ConversationsDep,
    access: AccessDep,
    paging: PagingDep,
    tenant_id: TenantQuery = None,
    include_archived: bool = False,
) -> MessagePage:
    tenant = await access.tenant(tenant_id, Scope.read)
    page = await service.messages(
        tenant,
        conversation_id,
        limit=paging.limit,
        cursor=paging.cursor,
        offset=paging.offset,
        include_archived=include_archived,
    )
    return MessagePage(items=[MessageOut.of(m) for m in page.items], next_cursor=page.next_cursor)


@router.get("/{conversation_id}/stats", summary="A conversation's statistics")
async def conversation_stats(
    conversation_id: ConversationPath,
    service: ConversationsDep,
    access: AccessDep,
    tenant_id: TenantQuery = None,
) -> ConversationStats:
    tenant = await access.tenant(tenant_id, Scope.read)
    conversation, figures = await service.stats(tenant, conversation_id)
    return ConversationStats(
        conversation_id=conversation.id,
        conversation_external_id=conversation.external_id,
        **figures,
    )


@router.get(
    "/{conversation_id}/export",
    summary="Export a conversation as JSON Lines",
    response_class=StreamingResponse,
    responses=STREAM_RESPONSE,
)
async def export_conversation(
    conversation_id: ConversationPath,
    transfer: TransferDep,
    access: AccessDep,
    tenant_id: TenantQuery = None,
    include_archived: bool = True,
) -> StreamingResponse:
    tenant = await access.tenant(tenant_id, Scope.read)
    return await export_response(
        transfer,
        tenant,
        conversation_id=conversation_id,
        include_archived=include_archived,
    )
