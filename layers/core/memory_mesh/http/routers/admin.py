"""/v1/admin: health, readiness, replay of failed embeddings, and retention
(``/v1/admin/retention``, from routers/retention.py)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from memory_mesh import __version__
from memory_mesh.domain.identity import Scope
from memory_mesh.http.bodies.admin import CheckOut, HealthOut, ReadinessOut, ReplayOut
from memory_mesh.http.bodies.base import TenantId
from memory_mesh.http.deps import HealthDep, ReplayDep
from memory_mesh.http.routers import retention
from memory_mesh.http.routers.common import ERRORS
from memory_mesh.http.security import AccessDep

router = APIRouter(prefix="/v1/admin", tags=["admin"], responses=ERRORS)


@router.get("/health", summary="Liveness: the process answers")
async def health() -> HealthOut:
    return HealthOut(status="ok", version=__version__)


@router.get(
    "/readiness",
    summary="Readiness: each dependency checked, with its latency",
    responses={503: {"model": ReadinessOut, "description": "A dependency is not ready."}},
)
async def readiness(service: HealthDep) -> ReadinessOut:
    ready, checks = await service.readiness()
    body = ReadinessOut(
        ready=ready,
        checks=[
            CheckOut(name=c.name, ok=c.ok, latency_ms=c.latency_ms, detail=c.detail) for c in checks
        ],
    )
    if not ready:
        return JSONResponse(body.model_dump(), status_code=503)  # type: ignore[return-value]
    return body


@router.post(
    "/embeddings/replay",
    summary="Re-queue failed embeddings",
    description="Messages whose embedding failed every attempt go back to pending with "
    "fresh attempts; the worker embeds them. Optionally for one tenant only.",
)
async def replay_failed(
    replay: ReplayDep, access: AccessDep, tenant_id: TenantId | None = None
) -> ReplayOut:
    if tenant_id is None and access.principal.is_superuser:
        target = None  # an operator replays every tenant's failures
    else:
        target = await access.tenant(tenant_id, Scope.admin)
    return ReplayOut(requeued=await replay(target))


router.include_router(retention.router)
