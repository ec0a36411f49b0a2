"""/v1/export and /v1/import: a tenant as JSON Lines, out and back in (streamed both ways).

A conversation's export is ``GET /v1/conversations/{id}/export``; both answer with
``http/export_stream.py``. The format and id modes: ``domain/transfer.py``.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

from memory_mesh.domain.identity import Scope
from memory_mesh.domain.transfer import IMPORT_MEDIA_TYPES, MEDIA_TYPE
from memory_mesh.errors import AppError
from memory_mesh.http.bodies.base import TenantId
from memory_mesh.http.deps import TransferDep
from memory_mesh.http.export_stream import STREAM_RESPONSE, export_response
from memory_mesh.http.routers.common import ERRORS
from memory_mesh.http.security import AccessDep
from memory_mesh.services.transfer import IdMode

router = APIRouter(tags=["export"], responses=ERRORS)

TenantQuery = Annotated[TenantId | None, Query(description="Tenant to export or import.")]
IncludeArchived = Annotated[bool, Query(description="Export archived messages too.")]


class UnsupportedMediaType(AppError):
    status = 415
    code = "unsupported_media_type"


@router.get(
    "/v1/export",
    summary="Export the whole tenant as JSON Lines (tenant admins)",
    response_class=StreamingResponse,
    responses=STREAM_RESPONSE,
)
async def export_tenant(
    service: TransferDep,
    access: AccessDep,
    tenant_id: TenantQuery = None,
    include_archived: IncludeArchived = True,
) -> StreamingResponse:
    tenant = await access.tenant(tenant_id, Scope.admin)
    return await export_response(
        service, tenant, conversation_id=None, include_archived=include_archived
    )


class LineErrorOut(BaseModel):
    line: int = Field(description="1-based line number in the body.")
    code: str
    message: str


class ImportOut(BaseModel):
    lines: int
    conversations_created: int
    conversations_existing: int = Field(description="Already there (a re-import).")
    messages_created: int
    messages_existing: int = Field(description="Already there (a re-import).")
    failed_lines: int
    errors: list[LineErrorOut] = Field(
        description="Failed lines by line number (at most 1,000 of them)."
    )
    complete: bool = Field(description="The file ended with an end line whose counts match.")


@router.post(
    "/v1/import",
    summary="Import JSON Lines (an export) into a tenant",
    description="The body is read line by line and written in batches through the normal "
    "message path (each message is embedded as usual). Bad lines are reported with their "
    "line numbers and skipped. Re-importing the same file changes nothing. `ids=preserve` "
    "keeps ids; `ids=remap` derives new stable ids (to copy into another tenant of the "
    "same database). Bodies are capped by MEMORY_MAX_REQUEST_BYTES: split larger files at "
    "line boundaries (conversation lines before their messages).",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {MEDIA_TYPE: {"schema": {"type": "string"}}},
        }
    },
)
async def import_tenant(
    request: Request,
    service: TransferDep,
    access: AccessDep,
    tenant_id: TenantQuery = None,
    ids: Annotated[IdMode, Query(description="preserve or remap the ids.")] = IdMode.preserve,
) -> ImportOut:
    tenant = await access.tenant(tenant_id, Scope.write)
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media and media not in IMPORT_MEDIA_TYPES:
        raise UnsupportedMediaType(
            f"content-type {media!r}: send JSON Lines as {MEDIA_TYPE}",
            details=[{"field": "content-type", "problem": "not JSON Lines"}],
        )
    report = await service.import_lines(tenant, request.stream(), ids=ids)
    return ImportOut(
        lines=report.lines,
        conversations_created=report.conversations_created,
        conversations_existing=report.conversations_existing,
        messages_created=report.messages_created,
        messages_existing=report.messages_existing,
        failed_lines=report.failed_lines,
        errors=[LineErrorOut(line=e.line, code=e.code, message=e.message) for e in report.errors],
        complete=report.complete,
    )
