"""/v1/admin/retention: a tenant's retention rules, runs on demand (or dry), run history.

Mounted inside the admin router (so the admin function serves it in the cloud). Every
route needs the ``admin`` scope in the tenant. The rules' meaning is documented in
``domain/retention.py`` and the README.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query, Response, status
from pydantic import BaseModel, Field

from memory_mesh.domain.identity import Scope
from memory_mesh.domain.models import Role
from memory_mesh.domain.retention import (
    Conditions,
    RetentionRule,
    RetentionRun,
    RuleAction,
    RuleSpec,
    RunStatus,
)
from memory_mesh.http.bodies.base import ConversationRefField, Metadata, Strict, TenantId
from memory_mesh.http.deps import PagingDep, RetentionDep
from memory_mesh.http.routers.common import ERRORS
from memory_mesh.http.security import AccessDep

router = APIRouter(prefix="/retention", tags=["retention"], responses=ERRORS)

TenantQuery = Annotated[TenantId | None, Query(description="Tenant whose retention this is.")]

# --- bodies -----------------------------------------------------------------------


class ConditionsIn(Strict):
    older_than_days: float | None = Field(
        None, description="Created more than this many days before the run started.", examples=[90]
    )
    importance_below: float | None = Field(
        None, description="Importance strictly below this (0 < x <= 1).", examples=[0.3]
    )
    roles: list[Role] | None = Field(None, description="Any of these roles.")
    conversation_id: ConversationRefField | None = Field(
        None, description="Only this conversation: its UUID or your own id for it."
    )
    metadata_contains: Metadata | None = Field(
        None, description="The message's metadata contains this JSON object."
    )

    def domain(self) -> Conditions:
        return Conditions(
            older_than_days=self.older_than_days,
            importance_below=self.importance_below,
            roles=tuple(self.roles) if self.roles is not None else None,
            conversation_id=self.conversation_id,
            metadata_contains=self.metadata_contains,
        )


class ConditionsOut(BaseModel):
    older_than_days: float | None
    importance_below: float | None
    roles: list[Role] | None
    conversation_id: UUID | None
    conversation_external_id: str | None = Field(
        None, description="That conversation's external id, if it has one."
    )
    metadata_contains: dict[str, Any] | None


_ACTION = (
    "archive: hide from search and listings (reversible); delete: remove rows archived more "
    "than `archived_for_days` before the run (any matching row with `skip_archive`); "
    "keep: a hold that every other rule and the default policy leave alone."
)


class RuleCreate(Strict):
    tenant_id: TenantId | None = None
    name: str = Field(examples=["archive old tool output"])
    action: RuleAction = Field(description=_ACTION)
    conditions: ConditionsIn = Field(
        default_factory=ConditionsIn, description="All that are set must hold."
    )
    enabled: bool = True
    priority: int = Field(100, description="Lower runs first (0..1000000).")
    archived_for_days: float | None = Field(
        None, description="delete only: days a row must have been archived (default 30)."
    )
    skip_archive: bool = Field(
        False, description="delete only: delete matching rows without archiving them first."
    )


class RuleUpdate(Strict):
    """Fields sent replace the rule's; ``conditions`` is replaced as a whole."""

    tenant_id: TenantId | None = None
    name: str | None = None
    action: RuleAction | None = None
    conditions: ConditionsIn | None = None
    enabled: bool | None = None
    priority: int | None = None
    archived_for_days: float | None = None
    skip_archive: bool | None = None


class RuleOut(BaseModel):
    id: UUID
    tenant_id: str
    name: str
    action: RuleAction
    conditions: ConditionsOut
    enabled: bool
    priority: int
    archived_for_days: float | None
    skip_archive: bool
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, rule: RetentionRule) -> RuleOut:
        s, c = rule.spec, rule.spec.conditions
        return cls(
            id=rule.id,
            tenant_id=rule.tenant_id,
            name=s.name,
            action=s.action,
            conditions=ConditionsOut(
                older_than_days=c.older_than_days,
                importance_below=c.importance_below,
                roles=list(c.roles) if c.roles is not None else None,
                conversation_id=c.conversation_id,
                conversation_external_id=c.conversation_external_id,
                metadata_contains=c.metadata_contains,
            ),
            enabled=s.enabled,
            priority=s.priority,
            archived_for_days=s.archived_for_days,
            skip_archive=s.skip_archive,
            created_at=rule.created_at,
            updated_at=rule.updated_at,
        )


class RuleList(BaseModel):
    items: list[RuleOut] = Field(description="In the order a run applies them.")


class RunRequest(Strict):
    tenant_id: TenantId | None = None
    dry_run: bool = Field(
        False, description="Count what each step would touch (with sample ids); change nothing."
    )


class StepOut(BaseModel):
    key: str = Field(description="The rule id, or default:archive / default:delete.")
    rule_id: UUID | None
    name: str
    action: RuleAction
    affected: int = Field(description="Rows archived or deleted (in a dry run: would be).")
    batches: int = Field(description="Write statements that touched rows (0 in a dry run).")
    sample_ids: list[UUID] = Field(description="Up to 10 of the rows, oldest first.")


class RunOut(BaseModel):
    id: UUID
    tenant_id: str
    triggered_by: str = Field(description="manual or schedule.")
    dry_run: bool
    status: RunStatus
    as_of: datetime = Field(description="Ages and cutoffs are measured from this time.")
    started_at: datetime
    finished_at: datetime | None
    batches: int
    archived: int
    deleted: int
    results: list[StepOut]
    error: str | None

    @classmethod
    def of(cls, run: RetentionRun) -> RunOut:
        return cls(
            id=run.id,
            tenant_id=run.tenant_id,
            triggered_by=run.triggered_by,
            dry_run=run.dry_run,
            status=run.status,
            as_of=run.as_of,
            started_at=run.started_at,
            finished_at=run.finished_at,
            batches=run.batches,
            archived=run.archived,
            deleted=run.deleted,
            results=[
                StepOut(
                    key=r.key,
                    rule_id=r.rule_id,
                    name=r.name,
                    action=r.action,
                    affected=r.affected,
                    batches=r.batches,
                    sample_ids=r.sample_ids,
                )
                for r in run.results
            ],
            error=run.error,
        )


class RunPage(BaseModel):
    items: list[RunOut]
    next_cursor: str | None


# --- routes -----------------------------------------------------------------------


@router.get("/rules", summary="List retention rules")
async def list_rules(
    service: RetentionDep, access: AccessDep, tenant_id: TenantQuery = None
) -> RuleList:
    tenant = await access.tenant(tenant_id, Scope.admin)
    return RuleList(items=[RuleOut.of(r) for r in await service.list_rules(tenant)])


@router.post("/rules", status_code=status.HTTP_201_CREATED, summary="Create a retention rule")
async def create_rule(body: RuleCreate, service: RetentionDep, access: AccessDep) -> RuleOut:
    tenant = await access.tenant(body.tenant_id, Scope.admin)
    spec = RuleSpec(
        name=body.name,
        action=body.action,
        conditions=body.conditions.domain(),
        enabled=body.enabled,
        priority=body.priority,
        archived_for_days=body.archived_for_days,
        skip_archive=body.skip_archive,
    )
    return RuleOut.of(await service.create_rule(tenant, spec))


@router.get("/rules/{rule_id}", summary="Read a retention rule")
async def get_rule(
    rule_id: UUID, service: RetentionDep, access: AccessDep, tenant_id: TenantQuery = None
) -> RuleOut:
    tenant = await access.tenant(tenant_id, Scope.admin)
    return RuleOut.of(await service.get_rule(tenant, rule_id))


@router.put("/rules/{rule_id}", summary="Change a retention rule")
async def update_rule(
    rule_id: UUID, body: RuleUpdate, service: RetentionDep, access: AccessDep
) -> RuleOut:
    tenant = await access.tenant(body.tenant_id, Scope.admin)
    changes: dict[str, Any] = {}
    for name in body.model_fields_set - {"tenant_id"}:
        value = getattr(body, name)
        if name == "conditions":
            changes[name] = value.domain() if value is not None else Conditions()
        elif name == "archived_for_days" or value is not None:
            changes[name] = value
    return RuleOut.of(await service.update_rule(tenant, rule_id, changes))


@router.delete(
    "/rules/{rule_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete a retention rule",
)
async def delete_rule(
    rule_id: UUID, service: RetentionDep, access: AccessDep, tenant_id: TenantQuery = None
) -> Response:
    tenant = await access.tenant(tenant_id, Scope.admin)
    await service.delete_rule(tenant, rule_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/run",
    summary="Apply retention now (or a dry run)",
    description="Applies the tenant's enabled rules in priority order, then the default "
    "policy, in batches; answers with the recorded run. A dry run counts what each step "
    "would archive or delete, with sample ids, and changes nothing. Safe to repeat or to "
    "run while the schedule runs: no message is acted on twice.",
)
async def run_retention(body: RunRequest, service: RetentionDep, access: AccessDep) -> RunOut:
    tenant = await access.tenant(body.tenant_id, Scope.admin)
    return RunOut.of(await service.run(tenant, dry_run=body.dry_run))


@router.get("/runs", summary="Retention runs, newest first")
async def list_runs(
    service: RetentionDep,
    access: AccessDep,
    paging: PagingDep,
    tenant_id: TenantQuery = None,
) -> RunPage:
    tenant = await access.tenant(tenant_id, Scope.admin)
    page = await service.list_runs(
        tenant, limit=paging.limit, cursor=paging.cursor, offset=paging.offset
    )
    return RunPage(items=[RunOut.of(r) for r in page.items], next_cursor=page.next_cursor)


@router.get("/runs/{run_id}", summary="One retention run")
async def get_run(
    run_id: UUID, service: RetentionDep, access: AccessDep, tenant_id: TenantQuery = None
) -> RunOut:
    tenant = await access.tenant(tenant_id, Scope.admin)
    return RunOut.of(await service.get_run(tenant, run_id))
