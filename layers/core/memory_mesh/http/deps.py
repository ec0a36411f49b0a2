"""FastAPI dependencies: the runtime's services and the paging parameters, as short
``Annotated`` aliases (every router takes its service from here).

They are ``async def`` although they never await: FastAPI runs a plain ``def``
dependency (or class) in a worker thread, and each such hand-off cost more CPU than the
search's own Python (bench/results/http_overhead.md)."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import Depends, Query, Request

from memory_mesh.config import Settings
from memory_mesh.domain.validation import PageRequest, resolve_paging
from memory_mesh.runtime import Runtime, limits_from
from memory_mesh.services.auth import AuthService
from memory_mesh.services.conversations import ConversationService
from memory_mesh.services.health import HealthService
from memory_mesh.services.messages import MessageService

if TYPE_CHECKING:
    from memory_mesh.services.analytics import AnalyticsService
    from memory_mesh.services.retention import RetentionService
    from memory_mesh.services.search import SearchService
    from memory_mesh.services.transfer import TransferService


async def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


async def _settings(runtime: RuntimeDep) -> Settings:
    return runtime.settings


async def _messages(runtime: RuntimeDep) -> MessageService:
    return runtime.messages


async def _conversations(runtime: RuntimeDep) -> ConversationService:
    return runtime.conversations


async def _search(runtime: RuntimeDep) -> SearchService:
    return runtime.search


async def _health(runtime: RuntimeDep) -> HealthService:
    return runtime.health


async def _auth(runtime: RuntimeDep) -> AuthService:
    return runtime.auth


async def _analytics(runtime: RuntimeDep) -> AnalyticsService:
    return runtime.analytics


async def _retention(runtime: RuntimeDep) -> RetentionService:
    return runtime.retention


async def _transfer(runtime: RuntimeDep) -> TransferService:
    return runtime.transfer


SettingsDep = Annotated[Settings, Depends(_settings)]
MessagesDep = Annotated[MessageService, Depends(_messages)]
ConversationsDep = Annotated[ConversationService, Depends(_conversations)]
HealthDep = Annotated[HealthService, Depends(_health)]
AuthDep = Annotated[AuthService, Depends(_auth)]

if TYPE_CHECKING:
    SearchDep = Annotated[SearchService, Depends(_search)]
    AnalyticsDep = Annotated[AnalyticsService, Depends(_analytics)]
    RetentionDep = Annotated[RetentionService, Depends(_retention)]
    TransferDep = Annotated[TransferService, Depends(_transfer)]

# one area's service (its module, class, provider): its alias is made when a router first
# imports it, so a Lambda function loads only its own area's services (search: numpy)
_AREA_SERVICES = {
    "SearchDep": ("memory_mesh.services.search", "SearchService", _search),
    "AnalyticsDep": ("memory_mesh.services.analytics", "AnalyticsService", _analytics),
    "RetentionDep": ("memory_mesh.services.retention", "RetentionService", _retention),
    "TransferDep": ("memory_mesh.services.transfer", "TransferService", _transfer),
}


def __getattr__(name: str) -> Any:
    if name not in _AREA_SERVICES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module, cls, provider = _AREA_SERVICES[name]
    service = getattr(importlib.import_module(module), cls)
    alias: Any = Annotated[service, Depends(provider)]
    globals()[name] = alias
    return alias


class EmbeddingReplay:
    """Re-queue a tenant's (or, None, every tenant's) failed embeddings and wake the
    in-process worker; returns how many were re-queued."""

    def __init__(self, runtime: RuntimeDep) -> None:
        self.runtime = runtime

    async def __call__(self, tenant_id: str | None) -> int:
        count = await self.runtime.pipeline.replay_failed(tenant_id)
        self.runtime.worker.notify()
        return count


async def _replay(runtime: RuntimeDep) -> EmbeddingReplay:
    return EmbeddingReplay(runtime)


ReplayDep = Annotated[EmbeddingReplay, Depends(_replay)]


async def _paging(
    settings: SettingsDep,
    limit: Annotated[
        int | None,
        Query(description="Cursor paging: page size (default 50, at most MEMORY_MAX_PAGE_SIZE)."),
    ] = None,
    cursor: Annotated[
        str | None, Query(description="Cursor paging: `next_cursor` of the previous page.")
    ] = None,
    page: Annotated[
        int | None,
        Query(description="Numbered paging (instead of limit/cursor): page number from 1."),
    ] = None,
    page_size: Annotated[
        int | None, Query(description="Numbered paging: rows per page (default 50).")
    ] = None,
) -> PageRequest:
    return resolve_paging(
        limit=limit, cursor=cursor, page=page, page_size=page_size, limits=limits_from(settings)
    )


# limit/cursor (stable under inserts) or page/page_size (the seed README's); not both
PagingDep = Annotated[PageRequest, Depends(_paging)]
