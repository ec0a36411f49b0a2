"""/v1/conversations: create, list (cursor pages), read, change, delete, statistics."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Response, status

from memory_mesh.http.deps import ConversationsDep
from memory_mesh.http.routers.common import ERRORS
from memory_mesh.http.schemas import (
    ConversationCreate,
    ConversationOut,
    ConversationPage,
    ConversationStats,
    ConversationUpdate,
    DeletedConversation,
    MessageOut,
    MessagePage,
    TenantId,
)

router = APIRouter(prefix="/v1/conversations", tags=["conversations"], responses=ERRORS)

TenantQuery = Annotated[TenantId, Query(description="Tenant the conversation belongs to.")]
Limit = Annotated[int, Query(description="Page size (1..MEMORY_MAX_PAGE_SIZE).")]
Cursor = Annotated[str | None, Query(description="`next_cursor` of the previous page.")]


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    summary="Create a conversation",
    responses={200: {"model": ConversationOut, "description": "Already created (retry)."}},
)
async def create_conversation(
    body: ConversationCreate, service: ConversationsDep, response: Response
) -> ConversationOut:
    conversation, created = await service.create(
        body.tenant_id, title=body.title, metadata=body.metadata, conversation_id=body.id
    )
    if not created:
        response.status_code = status.HTTP_200_OK
    return ConversationOut.of(conversation)


@router.get("", summary="List conversations, newest first")
async def list_conversations(
    tenant_id: TenantQuery, service: ConversationsDep, limit: Limit = 50, cursor: Cursor = None
) -> ConversationPage:
    page = await service.list(tenant_id, limit=limit, cursor=cursor)
    return ConversationPage(
        items=[ConversationOut.of(c) for c in page.items], next_cursor=page.next_cursor
    )


@router.get("/{conversation_id}", summary="Read a conversation")
async def get_conversation(
    conversation_id: UUID, tenant_id: TenantQuery, service: ConversationsDep
) -> ConversationOut:
    return ConversationOut.of(await service.get(tenant_id, conversation_id))


@router.put("/{conversation_id}", summary="Change a conversation's title or metadata")
async def update_conversation(
    conversation_id: UUID, body: ConversationUpdate, service: ConversationsDep
) -> ConversationOut:
    sent = body.model_fields_set
    updated = await service.update(
        body.tenant_id,
        conversation_id,
        title=body.title,
        set_title="title" in sent,
        metadata=body.metadata,
    )
    return ConversationOut.of(updated)


@router.delete("/{conversation_id}", summary="Delete a conversation and its messages")
async def delete_conversation(
    conversation_id: UUID, tenant_id: TenantQuery, service: ConversationsDep
) -> DeletedConversation:
    removed = await service.delete(tenant_id, conversation_id)
    return DeletedConversation(id=conversation_id, deleted_messages=removed)


@router.get("/{conversation_id}/messages", summary="A conversation's messages, oldest first")
async def conversation_messages(
    conversation_id: UUID,
    tenant_id: TenantQuery,
    service: ConversationsDep,
    limit: Limit = 50,
    cursor: Cursor = None,
    include_archived: bool = False,
) -> MessagePage:
    page = await service.messages(
        tenant_id, conversation_id, limit=limit, cursor=cursor, include_archived=include_archived
    )
    return MessagePage(items=[MessageOut.of(m) for m in page.items], next_cursor=page.next_cursor)


@router.get("/{conversation_id}/stats", summary="A conversation's statistics")
async def conversation_stats(
    conversation_id: UUID, tenant_id: TenantQuery, service: ConversationsDep
) -> ConversationStats:
    figures = await service.stats(tenant_id, conversation_id)
    return ConversationStats(conversation_id=conversation_id, **figures)
