"""Repository of retention rules and runs, and the SQL that applies a rule.

A step's rows are acted on in bounded batches: each batch statement picks at most
``limit`` matching rows in (created_at, id) order after the previous batch's last row,
locks them ``FOR UPDATE SKIP LOCKED`` and archives or deletes them, all in one statement
inside its own short transaction. A row locked by a concurrent run is skipped (that run
acts on it); a row another run changed meanwhile is re-checked against the condition
when locked, so two runs never act on the same row twice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from psycopg import sql
from psycopg.types.json import Jsonb

from memory_mesh.domain.models import Role
from memory_mesh.domain.retention import (
    SAMPLE_IDS,
    Conditions,
    RetentionRule,
    RetentionRun,
    RuleAction,
    RuleSpec,
    RunStatus,
    Step,
    StepResult,
)
from memory_mesh.store.database import Conn
from memory_mesh.store.messages import NEXT, mend_after_delete

_DAY_SECONDS = 86_400.0

# --- rules ------------------------------------------------------------------------

_RULE_COLUMNS = (
    "id, tenant_id, name, enabled, priority, action, older_than_days, importance_below,"
    " roles, conversation_id, metadata_contains, archived_for_days, skip_archive,"
    " created_at, updated_at, (select c.external_id from conversations c"
    " where c.id = retention_rules.conversation_id) as conversation_external_id"
)


def _rule_from_row(row: dict[str, Any]) -> RetentionRule:
    roles = row["roles"]
    return RetentionRule(
        id=row["id"],
        tenant_id=row["tenant_id"],
        spec=RuleSpec(
            name=row["name"],
            action=RuleAction(row["action"]),
            conditions=Conditions(
                older_than_days=row["older_than_days"],
                importance_below=(
                    float(row["importance_below"]) if row["importance_below"] is not None else None
                ),
                roles=tuple(Role(r) for r in roles) if roles is not None else None,
                conversation_id=row["conversation_id"],
                metadata_contains=row["metadata_contains"],
                conversation_external_id=row.get("conversation_external_id"),
            ),
            enabled=row["enabled"],
            priority=row["priority"],
            archived_for_days=row["archived_for_days"],
            skip_archive=row["skip_archive"],
        ),
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


def _rule_values(spec: RuleSpec) -> dict[str, Any]:
    c = spec.conditions
    return {
        "name": spec.name,
        "enabled": spec.enabled,
        "priority": spec.priority,
        "action": spec.action.value,
        "older_than_days": c.older_than_days,
        "importance_below": c.importance_below,
        "roles": [r.value for r in c.roles] if c.roles is not None else None,
        "conversation_id": c.conversation_id,
        "metadata_contains": Jsonb(c.metadata_contains) if c.metadata_contains else None,
        "archived_for_days": spec.archived_for_days,
        "skip_archive": spec.skip_archive,
    }


async def list_rules(conn: Conn, *, tenant_id: str) -> list[RetentionRule]:
    """The tenant's rules in the order a run applies them."""
    cur = await conn.execute(
        f"select {_RULE_COLUMNS} from retention_rules where tenant_id = %s"
        " order by priority, created_at, id",
        [tenant_id],
    )
    return [_rule_from_row(row) for row in await cur.fetchall()]


async def get_rule(conn: Conn, *, tenant_id: str, rule_id: UUID) -> RetentionRule | None:
    cur = await conn.execute(
        f"select {_RULE_COLUMNS} from retention_rules where tenant_id = %s and id = %s",
        [tenant_id, rule_id],
    )
    row = await cur.fetchone()
    return _rule_from_row(row) if row else None


async def lock_and_count_rules(conn: Conn, *, tenant_id: str) -> int:
    """Serialise rule creation per tenant (transaction lock) and count the rules."""
    await conn.execute(
        "select pg_advisory_xact_lock(hashtextextended('retention_rules:' || %s, 0))",
        [tenant_id],
    )
    cur = await conn.execute(
        "select count(*) as n from retention_rules where tenant_id = %s", [tenant_id]
    )
    row = await cur.fetchone()
    return int(row["n"]) if row else 0


async def insert_rule(
    conn: Conn, *, tenant_id: str, rule_id: UUID, spec: RuleSpec
) -> RetentionRule:
    values = _rule_values(spec)
    cur = await conn.execute(
        f"""
        insert into retention_rules (id, tenant_id, name, enabled, priority, action,
            older_than_days, importance_below, roles, conversation_id, metadata_contains,
            archived_for_days, skip_archive)
        values (%(id)s, %(tenant)s, %(name)s, %(enabled)s, %(priority)s, %(action)s,
            %(older_than_days)s, %(importance_below)s, %(roles)s, %(conversation_id)s,
            %(metadata_contains)s, %(archived_for_days)s, %(skip_archive)s)
        returning {_RULE_COLUMNS}
        """,
        {"id": rule_id, "tenant": tenant_id, **values},
    )
    row = await cur.fetchone()
    assert row is not None
    return _rule_from_row(row)


async def update_rule(
    conn: Conn, *, tenant_id: str, rule_id: UUID, spec: RuleSpec
) -> RetentionRule | None:
    cur = await conn.execute(
        f"""
        update retention_rules set name = %(name)s, enabled = %(enabled)s,
            priority = %(priority)s, action = %(action)s,
            older_than_days = %(older_than_days)s, importance_below = %(importance_below)s,
            roles = %(roles)s, conversation_id = %(conversation_id)s,
            metadata_contains = %(metadata_contains)s,
            archived_for_days = %(archived_for_days)s, skip_archive = %(skip_archive)s,
            updated_at = now()
        where id = %(id)s and tenant_id = %(tenant)s
        returning {_RULE_COLUMNS}
        """,
        {"id": rule_id, "tenant": tenant_id, **_rule_values(spec)},
    )
    row = await cur.fetchone()
    return _rule_from_row(row) if row else None


async def delete_rule(conn: Conn, *, tenant_id: str, rule_id: UUID) -> bool:
    cur = await conn.execute(
        "delete from retention_rules where id = %s and tenant_id = %s", [rule_id, tenant_id]
    )
    return cur.rowcount > 0


# --- the SQL of a step ----------------------------------------------------------


class _Params:
    """Bound parameters of a composed statement; every value gets its own name."""

    def __init__(self, **fixed: Any) -> None:
        self.values: dict[str, Any] = dict(fixed)

    def __call__(self, value: Any) -> sql.Placeholder:
        name = f"p{len(self.values)}"
        self.values[name] = value
        return sql.Placeholder(name)


def _before(days: float, p: _Params) -> sql.Composable:
    """The time ``days`` before the run started (``as_of``)."""
    return sql.SQL("(%(as_of)s::timestamptz - make_interval(secs => {}::float8))").format(
        p(days * _DAY_SECONDS)
    )


def _conditions(c: Conditions, p: _Params) -> sql.Composable:
    parts: list[sql.Composable] = []
    if c.older_than_days is not None:
        parts.append(sql.SQL("m.created_at < {}").format(_before(c.older_than_days, p)))
    if c.importance_below is not None:
        # compared as real, the column's type, so a threshold equal to a stored value is not
        # "below" it through float rounding
        parts.append(sql.SQL("m.importance < {}::real").format(p(c.importance_below)))
    if c.roles:
        parts.append(sql.SQL("m.role = any({}::text[])").format(p([r.value for r in c.roles])))
    if c.conversation_id is not None:
        parts.append(sql.SQL("m.conversation_id = {}::uuid").format(p(c.conversation_id)))
    if c.metadata_contains:
        parts.append(sql.SQL("m.metadata @> {}::jsonb").format(p(Jsonb(c.metadata_contains))))
    if not parts:
        return sql.SQL("true")
    return sql.SQL("({})").format(sql.SQL(" and ").join(parts))


def _matches(step: Step, p: _Params) -> sql.Composable:
    """Rows the step may act on now: its action's eligibility and its conditions."""
    if step.action is RuleAction.archive:
        eligible: sql.Composable = sql.SQL("not m.archived")
    elif step.archived_for_days is None:  # delete with skip_archive
        eligible = sql.SQL("true")
    else:
        eligible = sql.SQL("(m.archived and m.archived_at < {})").format(
            _before(step.archived_for_days, p)
        )
    return sql.SQL("({} and {})").format(eligible, _conditions(step.conditions, p))


def _not_kept(keeps: list[Conditions], p: _Params) -> sql.Composable:
    if not keeps:
        return sql.SQL("true")
    return sql.SQL("not ({})").format(sql.SQL(" or ").join(_conditions(k, p) for k in keeps))


@dataclass
class BatchOutcome:
    picked: int  # rows the batch locked (a full batch means more may follow)
    acted: int  # rows it archived or deleted
    sample_ids: list[UUID]
    last_key: tuple[datetime, UUID] | None  # keyset position for the next batch
    # where the deleted rows were (conversation, created_at, seq), for the mend after
    # commit (messages.mend_after_removal); empty when archiving or without context
    removed: list[tuple[UUID, datetime, int]] = field(default_factory=list)


async def act_batch(
    conn: Conn,
    *,
    tenant_id: str,
    step: Step,
    keeps: list[Conditions],
    as_of: datetime,
    after: tuple[datetime, UUID] | None,
    limit: int,
    context_chars: int = 0,
) -> BatchOutcome:
    """Archive or delete at most ``limit`` rows of ``step`` after ``after``, in ONE statement
    (deleting, with ``context_chars`` > 0, one more: the messages that followed deleted
    ones take their context again, so no deleted words stay behind in them)."""
    p = _Params(tenant=tenant_id, as_of=as_of, limit=limit)
    keyset: sql.Composable = sql.SQL("")
    if after is not None:
        keyset = sql.SQL("and (m.created_at, m.id) > ({}::timestamptz, {}::uuid)").format(
            p(after[0]), p(after[1])
        )
    if step.action is RuleAction.archive:
        act = sql.SQL(
            """update messages m set archived = true, updated_at = now()
            from picked where m.id = picked.id and not m.archived
            returning m.id, m.created_at, m.conversation_id, m.seq"""
        )
    else:
        act = sql.SQL(
            """delete from messages m using picked where m.id = picked.id
            returning m.id, m.created_at, m.conversation_id, m.seq"""
        )
    deleting = step.action is not RuleAction.archive
    statement = sql.SQL(
        """
        with picked as (
            select m.id, m.created_at from messages m
            where m.tenant_id = %(tenant)s and {matches} and {not_kept} {keyset}
            order by m.created_at, m.id
            limit %(limit)s
            for update skip locked
        ), acted as (
            {act}
        ), last as (
            select created_at, id from picked order by created_at desc, id desc limit 1
        )
        select (select count(*) from picked) as picked,
               (select count(*) from acted) as acted,
               (select coalesce(array_agg(id), '{{}}') from (
                    select id from acted order by created_at, id limit {sample}) s) as sample,
               (select created_at from last) as last_at,
               (select id from last) as last_id,
               {successors} as successors,
               {removed} as removed
        """
    ).format(
        matches=_matches(step, p),
        not_kept=_not_kept(keeps, p),
        keyset=keyset,
        act=act,
        sample=sql.Literal(SAMPLE_IDS),
        successors=sql.SQL(
            "(select array_agg(x.next) from (select " + NEXT.format(row="a") + " as next"
            " from acted a) x where not exists (select 1 from acted d where d.id = x.next))"
            if deleting and context_chars > 0
            else "null::uuid[]"
        ),
        removed=sql.SQL(
            "(select jsonb_agg(jsonb_build_array(conversation_id, created_at, seq)) from acted)"
            if deleting and context_chars > 0
            else "null::jsonb"
        ),
    )
    cur = await conn.execute(statement, p.values)
    row = await cur.fetchone()
    assert row is not None
    await mend_after_delete(conn, list(row["successors"] or []), chars=context_chars)
    last = (row["last_at"], row["last_id"]) if row["last_id"] is not None else None
    return BatchOutcome(
        picked=int(row["picked"]),
        acted=int(row["acted"]),
        sample_ids=list(row["sample"]),
        last_key=last,
        removed=[
            (UUID(c), datetime.fromisoformat(at), int(seq)) for c, at, seq in row["removed"] or []
        ],
    )


async def count_matches(
    conn: Conn, *, tenant_id: str, step: Step, keeps: list[Conditions], as_of: datetime
) -> tuple[int, list[UUID]]:
    """A dry run of ``step``: how many rows it would act on, and the first few ids.

    Rows an earlier step of the same run would have taken (``step.shadowed_by``) are left
    out, so the counts of a dry run are those a run would report. Changes nothing.
    """
    p = _Params(tenant=tenant_id, as_of=as_of)
    shadowed: sql.Composable = sql.SQL("true")
    if step.shadowed_by:
        shadowed = sql.SQL("not ({})").format(
            sql.SQL(" or ").join(_matches(earlier, p) for earlier in step.shadowed_by)
        )
    statement = sql.SQL(
        """
        with hits as not materialized (
            select m.id, m.created_at from messages m
            where m.tenant_id = %(tenant)s and {matches} and {not_kept} and {shadowed}
        )
        select (select count(*) from hits) as n,
               (select coalesce(array_agg(id), '{{}}') from (
                    select id from hits order by created_at, id limit {sample}) s) as sample
        """
    ).format(
        matches=_matches(step, p),
        not_kept=_not_kept(keeps, p),
        shadowed=shadowed,
        sample=sql.Literal(SAMPLE_IDS),
    )
    cur = await conn.execute(statement, p.values)
    row = await cur.fetchone()
    assert row is not None
    return int(row["n"]), list(row["sample"])


# --- runs -----------------------------------------------------------------------

_RUN_COLUMNS = (
    "id, tenant_id, triggered_by, dry_run, status, as_of, started_at, finished_at, batches,"
    " archived, deleted, results, error"
)


def _run_from_row(row: dict[str, Any]) -> RetentionRun:
    return RetentionRun(
        id=row["id"],
        tenant_id=row["tenant_id"],
        triggered_by=row["triggered_by"],
        dry_run=row["dry_run"],
        status=RunStatus(row["status"]),
        as_of=row["as_of"],
        started_at=row["started_at"],
        finished_at=row["finished_at"],
        batches=row["batches"],
        archived=row["archived"],
        deleted=row["deleted"],
        results=[StepResult.from_json(r) for r in row["results"]],
        error=row["error"],
    )


async def insert_run(
    conn: Conn, *, run_id: UUID, tenant_id: str, triggered_by: str, dry_run: bool
) -> RetentionRun:
    """Record a run as started; its ``as_of`` is the transaction's time."""
    cur = await conn.execute(
        f"""
        insert into retention_runs (id, tenant_id, triggered_by, dry_run, status, as_of)
        values (%s, %s, %s, %s, 'running', now())
        returning {_RUN_COLUMNS}
        """,
        [run_id, tenant_id, triggered_by, dry_run],
    )
    row = await cur.fetchone()
    assert row is not None
    return _run_from_row(row)


async def save_run(conn: Conn, run: RetentionRun, *, finished: bool = False) -> RetentionRun:
    """Write the run's status and counts (after each batch, and at the end with
    ``finished``, which stamps ``finished_at`` by the database's clock); return it."""
    cur = await conn.execute(
        f"""
        update retention_runs set status = %(status)s, batches = %(batches)s,
            archived = %(archived)s, deleted = %(deleted)s, results = %(results)s,
            error = %(error)s, updated_at = now(),
            finished_at = case when %(finished)s then now() end
        where id = %(id)s and tenant_id = %(tenant)s
        returning {_RUN_COLUMNS}
        """,
        {
            "status": run.status.value,
            "batches": run.batches,
            "archived": run.archived,
            "deleted": run.deleted,
            "results": Jsonb([r.as_json() for r in run.results]),
            "error": run.error,
            "finished": finished,
            "id": run.id,
            "tenant": run.tenant_id,
        },
    )
    row = await cur.fetchone()
    assert row is not None
    return _run_from_row(row)


async def get_run(conn: Conn, *, tenant_id: str, run_id: UUID) -> RetentionRun | None:
    cur = await conn.execute(
        f"select {_RUN_COLUMNS} from retention_runs where tenant_id = %s and id = %s",
        [tenant_id, run_id],
    )
    row = await cur.fetchone()
    return _run_from_row(row) if row else None


async def list_runs(
    conn: Conn,
    *,
    tenant_id: str,
    limit: int,
    after: tuple[datetime, UUID] | None,
    offset: int = 0,
) -> list[RetentionRun]:
    """Newest first; ``after`` is the (started_at, id) of the previous page's last run
    (numbered pages skip ``offset`` runs instead)."""
    if after is None:
        cur = await conn.execute(
            f"""select {_RUN_COLUMNS} from retention_runs where tenant_id = %s
                order by started_at desc, id desc limit %s offset %s""",
            [tenant_id, limit, offset],
        )
    else:
        cur = await conn.execute(
            f"""select {_RUN_COLUMNS} from retention_runs
                where tenant_id = %s and (started_at, id) < (%s, %s)
                order by started_at desc, id desc limit %s""",
            [tenant_id, after[0], after[1], limit],
        )
    return [_run_from_row(row) for row in await cur.fetchall()]


# --- system work across tenants (Database.system) ---------------------------------


async def tenants_to_sweep(conn: Conn, *, every_tenant: bool) -> list[str]:
    """Tenants a scheduled sweep visits: those with an enabled archive or delete rule,
    and (``every_tenant``: the default policy is on) every tenant holding messages."""
    cur = await conn.execute(
        """
        select t.id from tenants t
        where exists (select 1 from retention_rules r
                      where r.tenant_id = t.id and r.enabled and r.action <> 'keep')
           or (%s and exists (select 1 from messages m where m.tenant_id = t.id))
        order by t.id
        """,
        [every_tenant],
    )
    return [row["id"] for row in await cur.fetchall()]


async def close_abandoned_runs(conn: Conn, *, idle_seconds: float) -> int:
    """Mark as failed the runs left 'running' by a process that died (no progress for
    ``idle_seconds``). Their counts stay exact: each batch saved them with its rows."""
    cur = await conn.execute(
        """
        update retention_runs set status = 'failed', finished_at = now(), updated_at = now(),
            error = 'abandoned: the process running it stopped'
        where status = 'running' and updated_at < now() - make_interval(secs => %s)
        """,
        [idle_seconds],
    )
    return cur.rowcount


async def prune_runs(conn: Conn, *, keep_days: float, limit: int) -> int:
    """Delete at most ``limit`` finished runs older than ``keep_days``; return how many."""
    cur = await conn.execute(
        """
        delete from retention_runs where id in (
            select id from retention_runs
            where status <> 'running' and started_at < now() - make_interval(days => %s)
            limit %s)
        """,
        [int(keep_days), limit],
    )
    return cur.rowcount
