"""Retention: tenant rules (CRUD), runs (real or dry), and the scheduled sweep.

A run applies the plan of ``domain/retention.py`` step by step, each step in batches of
at most ``batch_size`` rows; each batch is ONE statement in its own short transaction,
which also saves the run's counts, so the record is exact even if the process dies
mid-run. Two runs of the same tenant at once (a manual one and the schedule, two
processes) share the work through ``FOR UPDATE SKIP LOCKED``: no row is acted on twice
and the counts of the two runs add up to what one run would have done.

Entry points: :meth:`RetentionService.run` (one tenant; ``POST /v1/admin/retention/run``)
and :meth:`RetentionService.run_all` (every tenant; the local schedule and the cloud's
scheduled function).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any
from uuid import UUID, uuid4

from memory_mesh.domain.cursor import decode_cursor, encode_cursor
from memory_mesh.domain.retention import (
    MAX_RULES_PER_TENANT,
    SAMPLE_IDS,
    DefaultPolicy,
    RetentionRule,
    RetentionRun,
    RuleAction,
    RuleSpec,
    RunStatus,
    Step,
    StepResult,
    plan,
    validate_rule,
)
from memory_mesh.domain.validation import Limits, check_page_size
from memory_mesh.errors import Conflict, NotFound
from memory_mesh.services.conversation_refs import resolve
from memory_mesh.services.conversations import Page
from memory_mesh.store import conversations as conversation_store
from memory_mesh.store import idempotency as idempotency_store
from memory_mesh.store import messages as message_store
from memory_mesh.store import retention as store
from memory_mesh.store.database import Conn, Database
from memory_mesh.store.retention import BatchOutcome
from memory_mesh.tasks import cancel_and_wait

log = logging.getLogger(__name__)

ABANDONED_AFTER_SECONDS = 3_600.0  # a 'running' run without a batch this long has died
RUN_HISTORY_DAYS = 90.0  # finished runs older than this are pruned by the sweep
_PRUNE_LIMIT = 10_000


def rule_not_found(rule_id: UUID) -> NotFound:
    return NotFound(f"retention rule {rule_id} not found", code="retention_rule_not_found")


class _OutOfTime(Exception):
    """The caller's time budget is spent; the run stops between batches."""


@dataclass
class RetentionSweep:
    """What one pass over every tenant did (:meth:`RetentionService.run_all`)."""

    tenants: int = 0  # tenants the sweep had to visit
    runs: int = 0  # runs completed (succeeded)
    archived: int = 0
    deleted: int = 0
    batches: int = 0
    failed: list[str] = field(default_factory=list)  # tenants whose run failed
    interrupted: bool = False  # time ran out; the next sweep carries on
    abandoned_closed: int = 0
    pruned_runs: int = 0
    expired_idempotency_keys: int = 0
    seconds: float = 0.0


class RetentionService:
    def __init__(
        self,
        db: Database,
        *,
        policy: DefaultPolicy,
        batch_size: int,
        limits: Limits,
        context_chars: int = 0,
    ) -> None:
        self.context_chars = context_chars  # stored contexts to mend after deletes
        self.db = db
        self.policy = policy
        self.batch_size = batch_size
        self.limits = limits

    # --- rules ------------------------------------------------------------------

    async def list_rules(self, tenant_id: str) -> list[RetentionRule]:
        async with self.db.tenant(tenant_id) as conn:
            return await store.list_rules(conn, tenant_id=tenant_id)

    async def get_rule(self, tenant_id: str, rule_id: UUID) -> RetentionRule:
        async with self.db.tenant(tenant_id) as conn:
            found = await store.get_rule(conn, tenant_id=tenant_id, rule_id=rule_id)
        if found is None:
            raise rule_not_found(rule_id)
        return found

    async def create_rule(self, tenant_id: str, spec: RuleSpec) -> RetentionRule:
        spec = validate_rule(spec, self.limits)
        async with self.db.tenant(tenant_id) as conn:
            if await store.lock_and_count_rules(conn, tenant_id=tenant_id) >= MAX_RULES_PER_TENANT:
                raise Conflict(
                    f"a tenant may hold at most {MAX_RULES_PER_TENANT} retention rules",
                    code="too_many_retention_rules",
                )
            spec = await self._resolve_conversation(conn, tenant_id, spec)
            return await store.insert_rule(conn, tenant_id=tenant_id, rule_id=uuid4(), spec=spec)

    async def update_rule(
        self, tenant_id: str, rule_id: UUID, changes: Mapping[str, Any]
    ) -> RetentionRule:
        """Change the fields named in ``changes`` (RuleSpec field names); the merged rule
        is validated as a whole. Changing the action away from delete drops the delete-only
        fields unless ``changes`` names them."""
        async with self.db.tenant(tenant_id) as conn:
            current = await store.get_rule(conn, tenant_id=tenant_id, rule_id=rule_id)
            if current is None:
                raise rule_not_found(rule_id)
            merged = dict(changes)
            action = merged.get("action", current.spec.action)
            if action is not RuleAction.delete:
                merged.setdefault("archived_for_days", None)
                merged.setdefault("skip_archive", False)
            elif merged.get("skip_archive"):
                merged.setdefault("archived_for_days", None)
            spec = validate_rule(replace(current.spec, **merged), self.limits)
            spec = await self._resolve_conversation(conn, tenant_id, spec)
            updated = await store.update_rule(conn, tenant_id=tenant_id, rule_id=rule_id, spec=spec)
        if updated is None:
            raise rule_not_found(rule_id)
        return updated

    async def delete_rule(self, tenant_id: str, rule_id: UUID) -> None:
        async with self.db.tenant(tenant_id) as conn:
            if not await store.delete_rule(conn, tenant_id=tenant_id, rule_id=rule_id):
                raise rule_not_found(rule_id)

    @staticmethod
    async def _resolve_conversation(conn: Conn, tenant_id: str, spec: RuleSpec) -> RuleSpec:
        """The spec with its conversation condition (a UUID or an external id) as the
        UUID of an existing conversation of the tenant (404 if there is none)."""
        named = spec.conditions.conversation_id
        if named is None:
            return spec
        conversation_id = await resolve(conn, tenant_id, named)
        found = await conversation_store.get(
            conn, tenant_id=tenant_id, conversation_id=conversation_id
        )
        conditions = replace(
            spec.conditions,
            conversation_id=conversation_id,
            conversation_external_id=found.external_id if found else None,
        )
        return replace(spec, conditions=conditions)

    # --- runs -------------------------------------------------------------------

    async def run(
        self,
        tenant_id: str,
        *,
        dry_run: bool = False,
        triggered_by: str = "manual",
        deadline: float | None = None,
    ) -> RetentionRun:
        """Apply the tenant's rules and the default policy now; return the recorded run.

        ``dry_run`` counts what each step would touch (with sample ids) and changes no
        message. ``deadline`` (a ``time.monotonic()`` value) stops the run between
        batches with status ``interrupted``. A failure is recorded, then raised.
        """
        async with self.db.tenant(tenant_id) as conn:
            run = await store.insert_run(
                conn,
                run_id=uuid4(),
                tenant_id=tenant_id,
                triggered_by=triggered_by,
                dry_run=dry_run,
            )
            rules = await store.list_rules(conn, tenant_id=tenant_id)
        steps, keeps = plan(rules, self.policy)
        run.results = [
            StepResult(key=s.key, rule_id=s.rule_id, name=s.name, action=s.action) for s in steps
        ]
        failure: Exception | None = None
        try:
            if dry_run:
                await self._count(run, steps, keeps)
            else:
                for index, step in enumerate(steps):
                    run = await self._apply(run, index, step, keeps, deadline)
            run.status = RunStatus.succeeded
        except _OutOfTime:
            run.status = RunStatus.interrupted
        except Exception as exc:
            run.status, run.error = RunStatus.failed, f"{type(exc).__name__}: {exc}"[:1000]
            failure = exc
        async with self.db.tenant(tenant_id) as conn:
            run = await store.save_run(conn, run, finished=True)
        log.info(
            "retention run %s for %s: %s, archived %d, deleted %d in %d batches",
            run.id,
            tenant_id,
            run.status.value,
            run.archived,
            run.deleted,
            run.batches,
        )
        if failure is not None:
            raise failure
        return run

    async def _count(self, run: RetentionRun, steps: list[Step], keeps: list[Any]) -> None:
        async with self.db.tenant(run.tenant_id) as conn:
            for step, result in zip(steps, run.results, strict=True):
                result.affected, result.sample_ids = await store.count_matches(
                    conn, tenant_id=run.tenant_id, step=step, keeps=keeps, as_of=run.as_of
                )

    async def _apply(
        self,
        run: RetentionRun,
        index: int,
        step: Step,
        keeps: list[Any],
        deadline: float | None,
    ) -> RetentionRun:
        """Run one step's batches; return the run with its counts after the last one."""
        after = None
        while True:
            if deadline is not None and time.monotonic() >= deadline:
                raise _OutOfTime
            async with self.db.tenant(run.tenant_id) as conn:
                outcome = await store.act_batch(
                    conn,
                    tenant_id=run.tenant_id,
                    step=step,
                    keeps=keeps,
                    as_of=run.as_of,
                    after=after,
                    limit=self.batch_size,
                    context_chars=self.context_chars,
                )
                updated = _with_batch(run, index, step, outcome)
                if outcome.acted:
                    # the counts commit with the rows they count
                    await store.save_run(conn, updated)
            if outcome.removed:  # writes beside the batch saw its rows (messages.py)
                async with self.db.tenant(run.tenant_id) as conn:
                    await message_store.mend_after_removal(
                        conn,
                        tenant_id=run.tenant_id,
                        removed=outcome.removed,
                        chars=self.context_chars,
                    )
            run = updated
            if outcome.picked < self.batch_size or outcome.last_key is None:
                return run
            after = outcome.last_key

    async def list_runs(
        self, tenant_id: str, *, limit: int, cursor: str | None, offset: int = 0
    ) -> Page[RetentionRun]:
        check_page_size(limit, self.limits)
        after = decode_cursor(cursor) if cursor else None
        async with self.db.tenant(tenant_id, in_order=True) as conn:
            rows = await store.list_runs(
                conn, tenant_id=tenant_id, limit=limit + 1, after=after, offset=offset
            )
        more = len(rows) > limit
        rows = rows[:limit]
        next_cursor = encode_cursor(rows[-1].started_at, rows[-1].id) if more else None
        return Page(rows, next_cursor)

    async def get_run(self, tenant_id: str, run_id: UUID) -> RetentionRun:
        async with self.db.tenant(tenant_id) as conn:
            found = await store.get_run(conn, tenant_id=tenant_id, run_id=run_id)
        if found is None:
            raise NotFound(f"retention run {run_id} not found", code="retention_run_not_found")
        return found

    # --- every tenant -----------------------------------------------------------

    async def run_all(
        self, *, time_left_ms: Callable[[], int] | None = None, reserve_ms: int = 30_000
    ) -> RetentionSweep:
        """Apply retention to every tenant that has something to apply (THE entry point
        of the scheduled cloud function and the local schedule).

        With ``time_left_ms`` (e.g. Lambda's ``context.get_remaining_time_in_millis``)
        it stops between batches once only ``reserve_ms`` are left; the interrupted run
        is recorded and the next sweep carries on where it stopped (runs are idempotent).
        A tenant whose run fails is logged and skipped; the others still run.
        """
        started = time.monotonic()
        deadline = None
        if time_left_ms is not None:
            deadline = started + (time_left_ms() - reserve_ms) / 1000.0
        sweep = RetentionSweep()
        async with self.db.system() as conn:
            sweep.abandoned_closed = await store.close_abandoned_runs(
                conn, idle_seconds=ABANDONED_AFTER_SECONDS
            )
            sweep.pruned_runs = await store.prune_runs(
                conn, keep_days=RUN_HISTORY_DAYS, limit=_PRUNE_LIMIT
            )
            sweep.expired_idempotency_keys = await idempotency_store.delete_expired(
                conn, limit=_PRUNE_LIMIT
            )
            tenants = await store.tenants_to_sweep(conn, every_tenant=self.policy.enabled)
        sweep.tenants = len(tenants)
        for tenant_id in tenants:
            if deadline is not None and time.monotonic() >= deadline:
                sweep.interrupted = True
                break
            try:
                run = await self.run(tenant_id, triggered_by="schedule", deadline=deadline)
            except Exception:
                log.exception("retention run failed for tenant %s", tenant_id)
                sweep.failed.append(tenant_id)
                continue
            sweep.archived += run.archived
            sweep.deleted += run.deleted
            sweep.batches += run.batches
            if run.status is RunStatus.interrupted:
                sweep.interrupted = True
                break
            sweep.runs += 1
        sweep.seconds = round(time.monotonic() - started, 3)
        return sweep


def _with_batch(run: RetentionRun, index: int, step: Step, outcome: BatchOutcome) -> RetentionRun:
    """The run as it is once ``outcome`` (a batch of step ``index``) has committed."""
    if not outcome.acted:
        return run
    results = list(run.results)
    before = results[index]
    results[index] = replace(
        before,
        affected=before.affected + outcome.acted,
        batches=before.batches + 1,
        sample_ids=(before.sample_ids + outcome.sample_ids)[:SAMPLE_IDS],
    )
    archived = outcome.acted if step.action is RuleAction.archive else 0
    return replace(
        run,
        results=results,
        batches=run.batches + 1,
        archived=run.archived + archived,
        deleted=run.deleted + outcome.acted - archived,
    )


class RetentionScheduler:
    """The local schedule: :meth:`RetentionService.run_all` every ``interval_seconds``
    (the first pass a minute after start, or sooner if the interval is shorter)."""

    def __init__(self, service: RetentionService, interval_seconds: float) -> None:
        self.service = service
        self.interval_seconds = interval_seconds
        self.last: RetentionSweep | None = None
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._loop(), name="retention-schedule")

    async def stop(self) -> None:
        if self._task is not None:
            await cancel_and_wait([self._task])
            self._task = None

    async def _loop(self) -> None:
        delay = min(self.interval_seconds, 60.0)
        while True:
            await asyncio.sleep(delay)
            delay = self.interval_seconds
            try:
                self.last = await self.service.run_all()
            except asyncio.CancelledError:
                raise
            except Exception:  # the schedule must outlive a database blip
                log.exception("scheduled retention sweep failed")
