"""Retention on the real database: each condition taken exactly (rows just inside and just
outside), archive before delete, keep holds, the default policy, dry runs that change
nothing, concurrent runs that never act twice, and 50k rows done in bounded batches."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from memory_mesh.domain.models import Role
from memory_mesh.domain.retention import (
    Conditions,
    DefaultPolicy,
    RuleAction,
    RuleSpec,
    RunStatus,
)
from memory_mesh.errors import Conflict
from memory_mesh.runtime import Runtime, limits_from
from memory_mesh.services.retention import RetentionScheduler, RetentionService
from tests.conftest import http_client, make_tenant
from tests.integration import seed
from tests.integration.seed import Row

DAY = timedelta(days=1)
MINUTE = timedelta(minutes=1)


def now() -> datetime:
    return datetime.now(UTC)


def service(runtime: Runtime, *, batch_size: int = 1000, **policy: float) -> RetentionService:
    return RetentionService(
        runtime.db,
        policy=DefaultPolicy(**policy),
        batch_size=batch_size,
        limits=limits_from(runtime.settings),
    )


def rule(action: RuleAction, name: str = "r", **kwargs: Any) -> RuleSpec:
    conditions = kwargs.pop("conditions", Conditions())
    return RuleSpec(name=name, action=action, conditions=conditions, **kwargs)


async def archived_ids(runtime: Runtime, tenant: str) -> set[str]:
    return {i for i, (archived, _, _) in (await seed.state(runtime, tenant)).items() if archived}


# --- each condition, exactly ----------------------------------------------------


async def _case_age(runtime: Runtime, tenant: str, conv: str) -> tuple[Conditions, list[Row], int]:
    rows = [
        Row(conv, now() - 30 * DAY - MINUTE),  # just older than 30 days: taken
        Row(conv, now() - 30 * DAY + MINUTE),  # just younger: left
        Row(conv, now()),
    ]
    return Conditions(older_than_days=30), rows, 1


async def _case_importance(
    runtime: Runtime, tenant: str, conv: str
) -> tuple[Conditions, list[Row], int]:
    rows = [
        Row(conv, now(), importance=0.39),  # below: taken
        Row(conv, now(), importance=0.4),  # equal is not below: left
        Row(conv, now(), importance=0.41),
    ]
    return Conditions(importance_below=0.4), rows, 1


async def _case_role(runtime: Runtime, tenant: str, conv: str) -> tuple[Conditions, list[Row], int]:
    rows = [
        Row(conv, now(), role="tool"),
        Row(conv, now(), role="system"),
        Row(conv, now(), role="user"),
        Row(conv, now(), role="assistant"),
    ]
    return Conditions(roles=(Role.tool, Role.system)), rows, 2


async def _case_conversation(
    runtime: Runtime, tenant: str, conv: str
) -> tuple[Conditions, list[Row], int]:
    other = await seed.conversation(runtime, tenant, title="other")
    rows = [Row(conv, now()), Row(other, now())]
    return Conditions(conversation_id=uuid.UUID(conv)), rows, 1


async def _case_metadata(
    runtime: Runtime, tenant: str, conv: str
) -> tuple[Conditions, list[Row], int]:
    rows = [
        Row(conv, now(), metadata={"topic": "travel", "lang": "en"}),  # contains: taken
        Row(conv, now(), metadata={"topic": "work"}),
        Row(conv, now(), metadata={"lang": "en"}),
        Row(conv, now(), metadata={}),
    ]
    return Conditions(metadata_contains={"topic": "travel"}), rows, 1


async def _case_all_together(
    runtime: Runtime, tenant: str, conv: str
) -> tuple[Conditions, list[Row], int]:
    old = now() - 10 * DAY - MINUTE
    rows = [
        Row(conv, old, role="tool", importance=0.1, metadata={"k": 1}),  # every condition holds
        Row(conv, now() - 10 * DAY + MINUTE, role="tool", importance=0.1, metadata={"k": 1}),
        Row(conv, old, role="user", importance=0.1, metadata={"k": 1}),
        Row(conv, old, role="tool", importance=0.2, metadata={"k": 1}),
        Row(conv, old, role="tool", importance=0.1, metadata={"k": 2}),
    ]
    conditions = Conditions(
        older_than_days=10,
        importance_below=0.2,
        roles=(Role.tool,),
        conversation_id=uuid.UUID(conv),
        metadata_contains={"k": 1},
    )
    return conditions, rows, 1


@pytest.mark.parametrize(
    "case",
    [
        _case_age,
        _case_importance,
        _case_role,
        _case_conversation,
        _case_metadata,
        _case_all_together,
    ],
)
async def test_a_rule_takes_exactly_the_rows_just_inside_its_conditions(
    runtime: Runtime, tenant: str, case: Any
) -> None:
    conv = await seed.conversation(runtime, tenant)
    conditions, rows, expected = await case(runtime, tenant, conv)
    # rows are listed inside-first: the first ``expected`` ones must go, the rest stay
    await seed.insert(runtime, tenant, rows)
    retention = service(runtime)
    await retention.create_rule(tenant, rule(RuleAction.archive, conditions=conditions))

    run = await retention.run(tenant)

    inside = {r.id for r in rows[:expected]}
    assert await archived_ids(runtime, tenant) == inside
    assert (run.status, run.archived, run.deleted) == (RunStatus.succeeded, expected, 0)
    assert {str(i) for i in run.results[0].sample_ids} == inside
    again = await retention.run(tenant)
    assert (again.archived, again.batches) == (0, 0)  # idempotent


# --- archive, then delete; keep; skip_archive -----------------------------------


async def test_delete_takes_only_rows_archived_long_enough_so_archive_comes_first(
    runtime: Runtime, tenant: str
) -> None:
    conv = await seed.conversation(runtime, tenant)
    old = now() - 40 * DAY
    fresh_old, _long_archived, recently_archived, young = await seed.insert(
        runtime,
        tenant,
        [
            Row(conv, old),
            Row(conv, old, archived=True, archived_at=now() - 7 * DAY - MINUTE),
            Row(conv, old, archived=True, archived_at=now() - 7 * DAY + MINUTE),
            Row(conv, now()),
        ],
    )
    retention = service(runtime)
    await retention.create_rule(
        tenant, rule(RuleAction.archive, conditions=Conditions(older_than_days=30), priority=1)
    )
    await retention.create_rule(tenant, rule(RuleAction.delete, archived_for_days=7, priority=2))

    first = await retention.run(tenant)

    state = await seed.state(runtime, tenant)
    assert set(state) == {fresh_old, recently_archived, young}  # only the long-archived went
    assert state[fresh_old][0] and state[fresh_old][1] is not None  # archived now, not deleted
    assert (first.archived, first.deleted) == (1, 1)
    assert [r.affected for r in first.results] == [1, 1]

    # eight days later the row archived by the first run is deleted, the other one too
    async with runtime.db.tenant(tenant) as conn:
        await conn.execute(
            "update messages set archived_at = archived_at - interval '8 days'"
            " where tenant_id = %s",
            [tenant],
        )
    second = await retention.run(tenant)
    assert (second.archived, second.deleted) == (0, 2)
    assert set(await seed.state(runtime, tenant)) == {young}


async def test_a_row_archived_by_a_run_is_not_deleted_by_the_same_run(
    runtime: Runtime, tenant: str
) -> None:
    conv = await seed.conversation(runtime, tenant)
    (row,) = await seed.insert(runtime, tenant, [Row(conv, now() - 40 * DAY)])
    retention = service(runtime)
    await retention.create_rule(
        tenant, rule(RuleAction.archive, conditions=Conditions(older_than_days=30))
    )
    await retention.create_rule(tenant, rule(RuleAction.delete, archived_for_days=0))

    first = await retention.run(tenant)
    second = await retention.run(tenant)

    assert (first.archived, first.deleted) == (1, 0)
    assert (second.archived, second.deleted) == (0, 1)
    assert row not in await seed.state(runtime, tenant)


async def test_skip_archive_deletes_matching_rows_directly_and_keep_holds_rows(
    runtime: Runtime, tenant: str
) -> None:
    conv = await seed.conversation(runtime, tenant)
    old = now() - 40 * DAY
    tool, pinned_tool, user = await seed.insert(
        runtime,
        tenant,
        [
            Row(conv, old, role="tool"),
            Row(conv, old, role="tool", metadata={"pinned": True}),
            Row(conv, old, role="user"),
        ],
    )
    retention = service(runtime, max_age_days=30, importance_threshold=1.0)
    await retention.create_rule(
        tenant,
        rule(RuleAction.delete, skip_archive=True, conditions=Conditions(roles=(Role.tool,))),
    )
    await retention.create_rule(
        tenant, rule(RuleAction.keep, conditions=Conditions(metadata_contains={"pinned": True}))
    )

    run = await retention.run(tenant)

    state = await seed.state(runtime, tenant)
    assert tool not in state  # deleted without being archived first
    assert state[pinned_tool][0] is False  # held: neither the rule nor the default policy
    assert state[user][0] is True  # the default policy archived it
    assert (run.deleted, run.archived) == (1, 1)
    assert [r.key for r in run.results][-1] == "default:archive"


async def test_the_default_policy_archives_old_unimportant_rows_then_deletes_them(
    runtime: Runtime, tenant: str
) -> None:
    conv = await seed.conversation(runtime, tenant)
    old = now() - 31 * DAY
    low, at_threshold, young_low, manual = await seed.insert(
        runtime,
        tenant,
        [
            Row(conv, old, importance=0.49),
            Row(conv, old, importance=0.5),  # not below the threshold
            Row(conv, now() - 29 * DAY, importance=0.1),  # not old enough
            # archived by hand long ago but important: the default delete leaves it
            Row(conv, old, importance=0.9, archived=True, archived_at=now() - 60 * DAY),
        ],
    )
    retention = service(
        runtime, max_age_days=30, importance_threshold=0.5, delete_archived_after_days=10
    )

    first = await retention.run(tenant)
    assert await archived_ids(runtime, tenant) == {low, manual}
    assert [(r.key, r.affected) for r in first.results] == [
        ("default:archive", 1),
        ("default:delete", 0),
    ]

    async with runtime.db.tenant(tenant) as conn:
        await conn.execute(
            "update messages set archived_at = now() - interval '10 days 1 minute' where id = %s",
            [low],
        )
    second = await retention.run(tenant)
    assert second.deleted == 1
    assert set(await seed.state(runtime, tenant)) == {at_threshold, young_low, manual}


# --- dry run --------------------------------------------------------------------


async def test_a_dry_run_changes_nothing_and_predicts_the_run(
    runtime: Runtime, tenant: str
) -> None:
    conv = await seed.conversation(runtime, tenant)
    old = now() - 40 * DAY
    await seed.insert(
        runtime,
        tenant,
        [Row(conv, old, role="tool") for _ in range(5)]
        + [Row(conv, old, role="user", importance=0.1) for _ in range(7)]
        + [Row(conv, old, role="user", metadata={"pinned": True}) for _ in range(2)]
        + [Row(conv, old, archived=True, archived_at=now() - 20 * DAY) for _ in range(3)]
        + [Row(conv, now()) for _ in range(4)],
    )
    retention = service(runtime)
    await retention.create_rule(
        tenant,
        rule(RuleAction.delete, skip_archive=True, conditions=Conditions(roles=(Role.tool,))),
    )
    await retention.create_rule(
        tenant, rule(RuleAction.archive, conditions=Conditions(older_than_days=30))
    )
    await retention.create_rule(tenant, rule(RuleAction.delete, archived_for_days=14, priority=200))
    await retention.create_rule(
        tenant, rule(RuleAction.keep, conditions=Conditions(metadata_contains={"pinned": True}))
    )
    before = await seed.state(runtime, tenant)

    dry = await retention.run(tenant, dry_run=True)

    assert await seed.state(runtime, tenant) == before  # not a flag, not a timestamp moved
    assert dry.dry_run and dry.status is RunStatus.succeeded
    assert (dry.batches, dry.archived, dry.deleted) == (0, 0, 0)
    assert [r.affected for r in dry.results] == [5, 7, 3]
    assert all(len(r.sample_ids) == min(r.affected, 10) for r in dry.results)

    real = await retention.run(tenant)
    assert [r.affected for r in real.results] == [r.affected for r in dry.results]
    runs = await retention.list_runs(tenant, limit=10, cursor=None)
    assert [r.dry_run for r in runs.items] == [False, True]


# --- concurrency and idempotency ------------------------------------------------


async def test_two_concurrent_runs_never_act_on_a_row_twice(runtime: Runtime, tenant: str) -> None:
    conv = await seed.conversation(runtime, tenant)
    n = 3000
    async with runtime.db.tenant(tenant) as conn:
        await conn.execute(
            """
            insert into messages (id, tenant_id, conversation_id, role, content, importance,
                                  created_at, embedding_status)
            select gen_random_uuid(), %s, %s, 'user', 'm' || i, 0.2,
                   now() - interval '40 days' - i * interval '1 second', 'ready'
            from generate_series(1, %s) as i
            """,
            [tenant, conv, n],
        )
    retention = service(runtime, batch_size=100)  # many small batches to interleave
    await retention.create_rule(
        tenant, rule(RuleAction.archive, conditions=Conditions(older_than_days=30))
    )

    a, b = await asyncio.gather(retention.run(tenant), retention.run(tenant))

    assert a.archived + b.archived == n  # every row archived once, by one of them
    assert len(await archived_ids(runtime, tenant)) == n
    await retention.create_rule(tenant, rule(RuleAction.delete, archived_for_days=0))
    c, d = await asyncio.gather(retention.run(tenant), retention.run(tenant))
    assert (c.archived + d.archived, c.deleted + d.deleted) == (0, n)
    assert await seed.state(runtime, tenant) == {}
    for run in (a, b, c, d):
        assert run.status is RunStatus.succeeded
        assert run.batches == sum(r.batches for r in run.results)
    print(
        f"\nconcurrent runs of {n} rows, batches of 100: archived {a.archived} + {b.archived}"
        f" in {a.batches} + {b.batches} batches; deleted {c.deleted} + {d.deleted}"
    )


async def test_fifty_thousand_rows_are_archived_in_bounded_batches(
    runtime: Runtime, tenant: str
) -> None:
    conv = await seed.conversation(runtime, tenant)
    n = 50_000
    async with runtime.db.tenant(tenant) as conn:
        await conn.execute(
            """
            insert into messages (id, tenant_id, conversation_id, role, content, importance,
                                  created_at, embedding_status)
            select gen_random_uuid(), %s, %s, 'user', 'message number ' || i, 0.2,
                   now() - interval '100 days' + i * interval '1 second', 'ready'
            from generate_series(1, %s) as i
            """,
            [tenant, conv, n],
        )
    retention = runtime.retention  # the configured one: batches of MEMORY_RETENTION_BATCH_SIZE
    assert retention.batch_size == 1000
    try:
        await retention.create_rule(
            tenant, rule(RuleAction.archive, conditions=Conditions(older_than_days=30))
        )
        started = time.perf_counter()
        run = await retention.run(tenant)
        seconds = time.perf_counter() - started

        assert (run.status, run.archived, run.batches) == (RunStatus.succeeded, n, 50)
        assert run.results[0].batches == 50
        stored = await retention.get_run(tenant, run.id)  # the record says the same
        assert (stored.archived, stored.batches) == (n, 50)
        assert len(await archived_ids(runtime, tenant)) == n
        again = await retention.run(tenant)
        assert (again.archived, again.batches) == (0, 0)
        print(f"\n50k rows archived in {run.batches} batches of 1000 in {seconds:.2f} s")
    finally:
        async with runtime.db.tenant(tenant) as conn:
            await conn.execute("delete from messages where tenant_id = %s", [tenant])


async def test_a_run_out_of_time_stops_between_batches_and_the_next_one_finishes(
    runtime: Runtime, tenant: str
) -> None:
    conv = await seed.conversation(runtime, tenant)
    await seed.insert(runtime, tenant, [Row(conv, now() - 40 * DAY) for _ in range(30)])
    retention = service(runtime, batch_size=10)
    await retention.create_rule(
        tenant, rule(RuleAction.archive, conditions=Conditions(older_than_days=30))
    )

    stopped = await retention.run(tenant, deadline=time.monotonic())

    assert (stopped.status, stopped.archived) == (RunStatus.interrupted, 0)
    finished = await retention.run(tenant)
    assert (finished.status, finished.archived, finished.batches) == (RunStatus.succeeded, 30, 3)


# --- the sweep over every tenant, and the schedule ------------------------------


async def test_run_all_visits_tenants_with_rules_and_records_scheduled_runs(
    runtime: Runtime,
) -> None:
    with_rule, _ = await make_tenant(runtime)
    without_rule, _ = await make_tenant(runtime)
    for tenant in (with_rule, without_rule):
        conv = await seed.conversation(runtime, tenant)
        await seed.insert(runtime, tenant, [Row(conv, now() - 40 * DAY)])
    retention = service(runtime)  # default policy off: only tenants with rules
    await retention.create_rule(
        with_rule, rule(RuleAction.archive, conditions=Conditions(older_than_days=30))
    )

    sweep = await retention.run_all()

    assert sweep.failed == [] and not sweep.interrupted and sweep.archived >= 1
    (run,) = (await retention.list_runs(with_rule, limit=5, cursor=None)).items
    assert (run.triggered_by, run.archived) == ("schedule", 1)
    assert (await retention.list_runs(without_rule, limit=5, cursor=None)).items == []
    assert len(await archived_ids(runtime, without_rule)) == 0

    out_of_time = await retention.run_all(time_left_ms=lambda: 1_000, reserve_ms=30_000)
    assert out_of_time.interrupted and out_of_time.runs == 0


async def test_the_local_schedule_sweeps_on_its_interval(runtime: Runtime, tenant: str) -> None:
    conv = await seed.conversation(runtime, tenant)
    (row,) = await seed.insert(runtime, tenant, [Row(conv, now() - 40 * DAY)])
    retention = service(runtime)
    await retention.create_rule(
        tenant, rule(RuleAction.archive, conditions=Conditions(older_than_days=30))
    )
    scheduler = RetentionScheduler(retention, interval_seconds=0.05)
    scheduler.start()
    try:
        for _ in range(200):
            if scheduler.last is not None:  # a whole sweep has finished
                break
            await asyncio.sleep(0.05)
    finally:
        await scheduler.stop()
    assert row in await archived_ids(runtime, tenant)
    assert scheduler.last is not None


# --- over HTTP ------------------------------------------------------------------


async def test_rules_crud_run_and_history_over_http(
    client: httpx.AsyncClient, runtime: Runtime, tenant: str
) -> None:
    conv = await seed.conversation(runtime, tenant)
    await seed.insert(runtime, tenant, [Row(conv, now() - 40 * DAY, role="tool")])
    base = "/v1/admin/retention"
    made = await client.post(
        f"{base}/rules",
        json={
            "name": "old tool output",
            "action": "archive",
            "conditions": {"older_than_days": 30, "roles": ["tool"]},
        },
    )
    assert made.status_code == 201, made.text
    rule_id = made.json()["id"]
    assert made.json()["conditions"]["roles"] == ["tool"]
    deleting = await client.post(
        f"{base}/rules", json={"name": "purge", "action": "delete", "priority": 500}
    )
    assert deleting.status_code == 201 and deleting.json()["archived_for_days"] == 30

    listed = (await client.get(f"{base}/rules")).json()["items"]
    assert [r["name"] for r in listed] == ["old tool output", "purge"]
    changed = await client.put(f"{base}/rules/{rule_id}", json={"priority": 900, "enabled": False})
    assert changed.status_code == 200
    assert (changed.json()["priority"], changed.json()["enabled"]) == (900, False)
    assert changed.json()["conditions"]["older_than_days"] == 30  # untouched fields stay
    to_archive = await client.put(
        f"{base}/rules/{deleting.json()['id']}",
        json={"action": "archive", "conditions": {"importance_below": 0.2}},
    )
    assert to_archive.status_code == 200  # delete-only fields dropped with the action
    assert to_archive.json()["archived_for_days"] is None
    await client.put(f"{base}/rules/{rule_id}", json={"enabled": True})

    dry = await client.post(f"{base}/run", json={"dry_run": True})
    assert dry.status_code == 200
    affected = {r["rule_id"]: r["affected"] for r in dry.json()["results"]}
    assert dry.json()["dry_run"] is True and affected == {rule_id: 1, deleting.json()["id"]: 0}
    real = (await client.post(f"{base}/run", json={})).json()
    assert (real["archived"], real["status"]) == (1, "succeeded")

    page = (await client.get(f"{base}/runs", params={"limit": 1})).json()
    assert page["items"][0]["id"] == real["id"] and page["next_cursor"]
    second = (await client.get(f"{base}/runs", params={"cursor": page["next_cursor"]})).json()
    assert [r["id"] for r in second["items"]] == [dry.json()["id"]]
    one = await client.get(f"{base}/runs/{real['id']}")
    assert one.json()["results"] == real["results"]

    assert (await client.delete(f"{base}/rules/{rule_id}")).status_code == 204
    assert (await client.get(f"{base}/rules/{rule_id}")).status_code == 404


BAD_RULES: list[tuple[str, dict[str, Any], int, str]] = [
    ("no condition", {"action": "archive"}, 422, "invalid_retention_rule"),
    (
        "skip_archive without a condition",
        {"action": "delete", "skip_archive": True},
        422,
        "invalid_retention_rule",
    ),
    (
        "importance above 1",
        {"action": "archive", "conditions": {"importance_below": 1.5}},
        422,
        "invalid_retention_rule",
    ),
    (
        "negative age",
        {"action": "archive", "conditions": {"older_than_days": -1}},
        422,
        "invalid_retention_rule",
    ),
    (
        "archived_for_days on archive",
        {"action": "archive", "archived_for_days": 3, "conditions": {"older_than_days": 1}},
        422,
        "invalid_retention_rule",
    ),
    (
        "empty roles",
        {"action": "archive", "conditions": {"roles": []}},
        422,
        "invalid_retention_rule",
    ),
    ("unknown action", {"action": "shred"}, 422, "validation_error"),
    (
        "unknown role",
        {"action": "keep", "conditions": {"roles": ["robot"]}},
        422,
        "validation_error",
    ),
    ("unknown field", {"action": "keep", "colour": "red"}, 422, "validation_error"),
    (
        "missing conversation",
        {"action": "keep", "conditions": {"conversation_id": str(uuid.uuid4())}},
        404,
        "conversation_not_found",
    ),
]


@pytest.mark.parametrize(
    ("body", "status", "code"), [c[1:] for c in BAD_RULES], ids=[c[0] for c in BAD_RULES]
)
async def test_bad_rules_are_refused_with_a_clear_4xx(
    client: httpx.AsyncClient, body: dict[str, Any], status: int, code: str
) -> None:
    response = await client.post("/v1/admin/retention/rules", json={"name": "x", **body})
    assert (response.status_code, response.json()["code"]) == (status, code), response.text


async def test_retention_needs_the_admin_scope_and_stays_inside_the_tenant(
    app: FastAPI, runtime: Runtime, client: httpx.AsyncClient
) -> None:
    other, _ = await make_tenant(runtime)
    others_rule = await runtime.retention.create_rule(
        other, rule(RuleAction.archive, conditions=Conditions(older_than_days=1))
    )
    _, writer_key = await make_tenant(runtime, scopes=("read", "write"))
    async with http_client(app, writer_key) as writer:
        refused = await writer.post("/v1/admin/retention/run", json={})
        assert (refused.status_code, refused.json()["code"]) == (403, "insufficient_scope")
    # the admin of one tenant: another tenant named is 403, its rule id is 404
    named = await client.get("/v1/admin/retention/rules", params={"tenant_id": other})
    assert named.status_code == 403
    for method in ("GET", "DELETE"):
        response = await client.request(method, f"/v1/admin/retention/rules/{others_rule.id}")
        assert response.status_code == 404
    changed = await client.put(
        f"/v1/admin/retention/rules/{others_rule.id}", json={"enabled": False}
    )
    assert changed.status_code == 404
    assert (await runtime.retention.get_rule(other, others_rule.id)).spec.enabled
    bad_cursor = await client.get("/v1/admin/retention/runs", params={"cursor": "nope"})
    assert bad_cursor.json()["code"] == "invalid_cursor"


async def test_a_tenant_holds_at_most_a_hundred_rules(runtime: Runtime, tenant: str) -> None:
    retention = service(runtime)
    for i in range(100):
        await retention.create_rule(tenant, rule(RuleAction.keep, name=f"k{i}"))
    with pytest.raises(Conflict) as refused:
        await retention.create_rule(tenant, rule(RuleAction.keep, name="one too many"))
    assert refused.value.code == "too_many_retention_rules"
