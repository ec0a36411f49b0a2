"""/v1/messages: store, read, change and delete messages, singly or in batches."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Response, status

from memory_mesh.domain.identity import Scope
from memory_mesh.domain.models import MessagePatch
from memory_mesh.http.bodies.base import TenantId
from memory_mesh.http.bodies.messages import (
    BatchOut,
    MessageBatchCreate,
    MessageBatchDelete,
    MessageBatchUpdate,
    MessageCreate,
    MessageOut,
    MessageUpdate,
    batch_out,
)
from memory_mesh.http.deps import MessagesDep
from memory_mesh.http.idempotency import IdempotencyDep
from memory_mesh.http.routers.common import ERRORS
from memory_mesh.http.security import AccessDep
from memory_mesh.services.messages import MessageInput

router = APIRouter(prefix="/v1/messages", tags=["messages"], responses=ERRORS)

TenantQuery = Annotated[TenantId | None, Query(description="Tenant the message belongs to.")]


@router.post(
    "/batch",
    summary="Store many messages",
    description="Each item is validated on its own; valid items are stored in one statement. "
    "The answer reports every item: `created`, `existing` (same client id) or `error`.",
    response_model=BatchOut,
)
async def create_batch(
    body: MessageBatchCreate, service: MessagesDep, access: AccessDep, idempotency: IdempotencyDep
) -> BatchOut | Response:
    tenant_id = await access.tenant(body.tenant_id, Scope.write)

    async def create() -> BatchOut:
        items = [MessageInput(**item.model_dump()) for item in body.items]
        for i, item in enumerate(items):
            item.id = item.id or idempotency.derived_id(tenant_id, i)
        return batch_out(await service.create_batch(tenant_id, items))

    return await idempotency.run(tenant_id, body, status.HTTP_200_OK, create)


@router.put("/batch/update", summary="Change many messages")
async def update_batch(
    body: MessageBatchUpdate, service: MessagesDep, access: AccessDep
) -> BatchOut:
    tenant_id = await access.tenant(body.tenant_id, Scope.write)
    patches = [_patch(item.id, item.model_dump(exclude={"id"})) for item in body.items]
    return batch_out(await service.update_batch(tenant_id, patches))


@router.delete("/batch", summary="Delete many messages")
async def delete_batch(
    body: MessageBatchDelete, service: MessagesDep, access: AccessDep
) -> BatchOut:
    tenant_id = await access.tenant(body.tenant_id, Scope.write)
    return batch_out(await service.delete_batch(tenant_id, body.ids))


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    summary="Store a message",
    description="Stored and embedded: in inline mode before answering (embedded first and "
    "stored with its vector; if the embedding fails, stored `pending` and retried), in async "
    "mode in the background. A retry with the same `id` answers 200 with the stored message.",
    responses={200: {"model": MessageOut, "description": "Already stored (retried create)."}},
    response_model=MessageOut,
)
async def create_message(
    body: MessageCreate,
    service: MessagesDep,
    access: AccessDep,
    response: Response,
    idempotency: IdempotencyDep,
) -> MessageOut | Response:
    tenant_id = await access.tenant(body.tenant_id, Scope.write)

    async def create() -> MessageOut:
        item = MessageInput(**body.model_dump(exclude={"tenant_id"}))
        item.id = item.id or idempotency.derived_id(tenant_id)
        message, created = await service.create(tenant_id, item)
        if not created:
            response.status_code = status.HTTP_200_OK
        return MessageOut.of(message)

    return await idempotency.run(tenant_id, body, status.HTTP_201_CREATED, create)


@router.get("/{message_id}", summary="Read a message")
async def get_message(
    message_id: UUID, service: MessagesDep, access: AccessDep, tenant_id: TenantQuery = None
) -> MessageOut:
    tenant = await access.tenant(tenant_id, Scope.read)
    return MessageOut.of(await service.get(tenant, message_id))


@router.put(
    "/{message_id}",
    summary="Change a message",
    description="Only the fields sent change. New content is re-embedded.",
)
async def update_message(
    message_id: UUID, body: MessageUpdate, service: MessagesDep, access: AccessDep
) -> MessageOut:
    tenant_id = await access.tenant(body.tenant_id, Scope.write)
    patch = _patch(message_id, body.model_dump(exclude={"tenant_id"}))
    return MessageOut.of(await service.update(tenant_id, patch))


@router.delete("/{message_id}", status_code=status.HTTP_204_NO_CONTENT, summary="Delete a message")
async def delete_message(
    message_id: UUID, service: MessagesDep, access: AccessDep, tenant_id: TenantQuery = None
) -> None:
    tenant = await access.tenant(tenant_id, Scope.write)
    await service.delete(tenant, message_id)


def _patch(message_id: UUID, fields: dict[str, object]) -> MessagePatch:
    role = fields.get("role")
    return MessagePatch(
        id=message_id,
        content=fields.get("content"),  # type: ignore[arg-type]
        role=getattr(role, "value", None),
        metadata=fields.get("metadata"),  # type: ignore[arg-type]
        importance=fields.get("importance"),  # type: ignore[arg-type]
        archived=fields.get("archived"),  # type: ignore[arg-type]
    )
