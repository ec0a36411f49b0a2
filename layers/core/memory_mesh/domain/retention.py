"""Retention rules and the plan of a run: pure logic, no I/O.

A tenant's **rules** each have conditions (all that are set must hold) and an action:

- ``archive``: hide matching messages from search and listings (reversible: a message
  ``PUT`` with ``archived: false`` brings it back). Acts on unarchived rows only.
- ``delete``: remove matching messages for good. It takes only rows archived more than
  ``archived_for_days`` (default 30) before the run started, so a row is always archived
  first and can be restored meanwhile; with ``skip_archive`` it deletes matching rows
  whether archived or not.
- ``keep``: a hold. Messages matching any enabled keep rule are left alone by every other
  rule and by the default policy, whatever their priority.

Conditions: ``older_than_days`` (created more than N days before the run started),
``importance_below`` (strictly below), ``roles`` (any of), ``conversation_id``,
``metadata_contains`` (the message's metadata contains this JSON object).

A run applies the enabled archive/delete rules in ``priority`` order (lower first; ties by
creation), then the **default policy** from the settings: archive messages older than
``MEMORY_RETENTION_MAX_AGE_DAYS`` whose importance is below
``MEMORY_RETENTION_IMPORTANCE_THRESHOLD``, and (when
``MEMORY_RETENTION_DELETE_ARCHIVED_AFTER_DAYS`` > 0) delete such messages once archived
that long. Every age is measured from the run's start (``as_of``), so a row archived
during a run is never deleted by the same run unless a rule says ``skip_archive``.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from memory_mesh.domain.models import Role
from memory_mesh.domain.validation import Limits, check_metadata
from memory_mesh.errors import InvalidInput

MAX_RULES_PER_TENANT = 100
DEFAULT_ARCHIVED_FOR_DAYS = 30.0
MAX_DAYS = 36_500.0
SAMPLE_IDS = 10


class RuleAction(enum.StrEnum):
    archive = "archive"
    delete = "delete"
    keep = "keep"


@dataclass(frozen=True)
class Conditions:
    """What a message must match; ``None`` (or empty) leaves a condition out."""

    older_than_days: float | None = None
    importance_below: float | None = None
    roles: tuple[Role, ...] | None = None
    # as asked: a UUID or an external id; a stored rule holds the UUID it resolved to
    conversation_id: UUID | str | None = None
    metadata_contains: dict[str, Any] | None = None
    # that conversation's external id (shown with the rule; never a condition itself)
    conversation_external_id: str | None = None

    def is_empty(self) -> bool:
        return (
            self.older_than_days is None
            and self.importance_below is None
            and not self.roles
            and self.conversation_id is None
            and not self.metadata_contains
        )


@dataclass(frozen=True)
class RuleSpec:
    """A rule as a client states it (create, or the merged state of an update)."""

    name: str
    action: RuleAction
    conditions: Conditions = field(default_factory=Conditions)
    enabled: bool = True
    priority: int = 100
    archived_for_days: float | None = None
    skip_archive: bool = False


@dataclass(frozen=True)
class RetentionRule:
    id: UUID
    tenant_id: str
    spec: RuleSpec
    created_at: datetime
    updated_at: datetime


def _problem(field_name: str, message: str, code: str = "invalid_retention_rule") -> InvalidInput:
    return InvalidInput(
        f"{field_name}: {message}",
        code=code,
        details=[{"field": field_name, "problem": message}],
    )


def validate_rule(spec: RuleSpec, limits: Limits) -> RuleSpec:
    """Check a rule; return it with defaults filled in (a delete rule's archive age).

    Raises InvalidInput (code ``invalid_retention_rule``) naming the field.
    """
    name = spec.name.strip()
    if not name or len(name) > 200:
        raise _problem("name", "must be 1-200 characters")
    if not 0 <= spec.priority <= 1_000_000:
        raise _problem("priority", "must be between 0 and 1000000")
    c = spec.conditions
    if c.older_than_days is not None and not 0 < c.older_than_days <= MAX_DAYS:
        raise _problem("conditions.older_than_days", f"must be > 0 and <= {MAX_DAYS:g}")
    if c.importance_below is not None and not 0 < c.importance_below <= 1:
        raise _problem("conditions.importance_below", "must be > 0 and <= 1")
    if c.roles is not None:
        if not c.roles:
            raise _problem("conditions.roles", "must name at least one role (or be left out)")
        if len(set(c.roles)) != len(c.roles):
            raise _problem("conditions.roles", "names a role twice")
    if c.metadata_contains is not None:
        if not c.metadata_contains:
            raise _problem(
                "conditions.metadata_contains", "must not be empty (leave it out instead)"
            )
        check_metadata(c.metadata_contains, limits, field="conditions.metadata_contains")
    archived_for = spec.archived_for_days
    if spec.action is not RuleAction.delete:
        if archived_for is not None:
            raise _problem("archived_for_days", "applies to delete rules only")
        if spec.skip_archive:
            raise _problem("skip_archive", "applies to delete rules only")
    elif spec.skip_archive:
        if archived_for is not None:
            raise _problem("archived_for_days", "must be left out when skip_archive is true")
    else:
        if archived_for is None:
            archived_for = DEFAULT_ARCHIVED_FOR_DAYS
        if not 0 <= archived_for <= MAX_DAYS:
            raise _problem("archived_for_days", f"must be between 0 and {MAX_DAYS:g}")
    # an archive (or a delete of unarchived rows) with no condition would take everything
    sweeping = spec.action is RuleAction.archive or (
        spec.action is RuleAction.delete and spec.skip_archive
    )
    if sweeping and c.is_empty():
        raise _problem(
            "conditions",
            f"a {spec.action.value} rule needs at least one condition"
            + (" when skip_archive is true" if spec.action is RuleAction.delete else ""),
        )
    return RuleSpec(
        name=name,
        action=spec.action,
        conditions=c,
        enabled=spec.enabled,
        priority=spec.priority,
        archived_for_days=archived_for,
        skip_archive=spec.skip_archive,
    )


@dataclass(frozen=True)
class DefaultPolicy:
    """The operator's policy from the settings, applied to every tenant after its rules."""

    max_age_days: float = 0.0
    importance_threshold: float = 0.5
    delete_archived_after_days: float = 0.0

    @property
    def enabled(self) -> bool:
        return self.max_age_days > 0 and self.importance_threshold > 0

    @property
    def conditions(self) -> Conditions:
        return Conditions(
            older_than_days=self.max_age_days, importance_below=self.importance_threshold
        )


@dataclass(frozen=True)
class Step:
    """One archive or delete pass of a run, in order.

    ``archived_for_days`` is the delete gate (``None``: archived or not, i.e. skip_archive).
    ``shadowed_by`` are the conditions of earlier steps whose rows this step cannot reach
    in a real run (they were deleted, or already archived by an earlier archive step):
    a dry run leaves them out so its counts match what a run would do.
    """

    key: str
    rule_id: UUID | None
    name: str
    action: RuleAction
    conditions: Conditions
    archived_for_days: float | None = None
    shadowed_by: tuple[Step, ...] = ()


def plan(rules: list[RetentionRule], policy: DefaultPolicy) -> tuple[list[Step], list[Conditions]]:
    """The steps of a run (enabled rules by priority, then the default policy) and the
    conditions of the enabled keep rules, which every step leaves alone."""
    enabled = sorted(
        (r for r in rules if r.spec.enabled),
        key=lambda r: (r.spec.priority, r.created_at, str(r.id)),
    )
    keeps = [r.spec.conditions for r in enabled if r.spec.action is RuleAction.keep]
    raw: list[Step] = []
    for rule in enabled:
        if rule.spec.action is RuleAction.keep:
            continue
        gate = None
        if rule.spec.action is RuleAction.delete and not rule.spec.skip_archive:
            gate = rule.spec.archived_for_days
            if gate is None:
                gate = DEFAULT_ARCHIVED_FOR_DAYS
        raw.append(
            Step(
                key=str(rule.id),
                rule_id=rule.id,
                name=rule.spec.name,
                action=rule.spec.action,
                conditions=rule.spec.conditions,
                archived_for_days=gate,
            )
        )
    if policy.enabled:
        raw.append(
            Step(
                key="default:archive",
                rule_id=None,
                name="default policy: archive",
                action=RuleAction.archive,
                conditions=policy.conditions,
            )
        )
        if policy.delete_archived_after_days > 0:
            raw.append(
                Step(
                    key="default:delete",
                    rule_id=None,
                    name="default policy: delete archived",
                    action=RuleAction.delete,
                    conditions=policy.conditions,
                    archived_for_days=policy.delete_archived_after_days,
                )
            )
    steps: list[Step] = []
    for i, step in enumerate(raw):
        # an earlier delete took its rows away; an earlier archive took its rows out of
        # reach of later archives (a later delete may still take them: with skip_archive)
        shadows = tuple(
            earlier
            for earlier in raw[:i]
            if earlier.action is RuleAction.delete
            or (earlier.action is RuleAction.archive and step.action is RuleAction.archive)
        )
        steps.append(
            Step(
                key=step.key,
                rule_id=step.rule_id,
                name=step.name,
                action=step.action,
                conditions=step.conditions,
                archived_for_days=step.archived_for_days,
                shadowed_by=shadows,
            )
        )
    return steps, keeps


class RunStatus(enum.StrEnum):
    running = "running"
    succeeded = "succeeded"
    failed = "failed"
    interrupted = "interrupted"  # out of time (a scheduled function); the next run goes on


@dataclass
class StepResult:
    """What one step did (or, in a dry run, would do)."""

    key: str
    rule_id: UUID | None
    name: str
    action: RuleAction
    affected: int = 0
    batches: int = 0
    sample_ids: list[UUID] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "rule_id": str(self.rule_id) if self.rule_id else None,
            "name": self.name,
            "action": self.action.value,
            "affected": self.affected,
            "batches": self.batches,
            "sample_ids": [str(i) for i in self.sample_ids],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> StepResult:
        return cls(
            key=data["key"],
            rule_id=UUID(data["rule_id"]) if data.get("rule_id") else None,
            name=data["name"],
            action=RuleAction(data["action"]),
            affected=int(data["affected"]),
            batches=int(data["batches"]),
            sample_ids=[UUID(i) for i in data.get("sample_ids", [])],
        )


@dataclass
class RetentionRun:
    id: UUID
    tenant_id: str
    triggered_by: str  # "manual" or "schedule"
    dry_run: bool
    status: RunStatus
    as_of: datetime
    started_at: datetime
    finished_at: datetime | None
    batches: int
    archived: int
    deleted: int
    results: list[StepResult]
    error: str | None = None
