"""Pure lifecycle logic: rule validation, the plan of a retention run, analytics ranges,
the export format's id mapping and line splitting. No database."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from memory_mesh.domain.analytics import (
    Granularity,
    check_buckets,
    check_timezone,
    resolve_range,
)
from memory_mesh.domain.models import Role
from memory_mesh.domain.retention import (
    Conditions,
    DefaultPolicy,
    RetentionRule,
    RuleAction,
    RuleSpec,
    plan,
    validate_rule,
)
from memory_mesh.domain.transfer import remap_id
from memory_mesh.domain.validation import Limits
from memory_mesh.errors import InvalidInput
from memory_mesh.services.transfer import _split_lines

NOW = datetime(2025, 1, 1, tzinfo=UTC)


def _rule(action: RuleAction, priority: int = 100, **kwargs: object) -> RetentionRule:
    spec = validate_rule(RuleSpec(name="r", action=action, priority=priority, **kwargs), Limits())  # type: ignore[arg-type]
    return RetentionRule(id=uuid.uuid4(), tenant_id="t", spec=spec, created_at=NOW, updated_at=NOW)


def test_a_delete_rule_gets_a_thirty_day_archive_gate_unless_it_skips_archiving() -> None:
    assert validate_rule(RuleSpec("d", RuleAction.delete), Limits()).archived_for_days == 30
    skipping = RuleSpec("d", RuleAction.delete, Conditions(roles=(Role.tool,)), skip_archive=True)
    assert validate_rule(skipping, Limits()).archived_for_days is None


@pytest.mark.parametrize(
    "spec",
    [
        RuleSpec("", RuleAction.keep),
        RuleSpec("a", RuleAction.archive),
        RuleSpec("a", RuleAction.delete, skip_archive=True),
        RuleSpec("a", RuleAction.archive, Conditions(importance_below=0)),
        RuleSpec("a", RuleAction.archive, Conditions(older_than_days=0)),
        RuleSpec("a", RuleAction.archive, Conditions(roles=(Role.user, Role.user))),
        RuleSpec("a", RuleAction.archive, Conditions(metadata_contains={})),
        RuleSpec("a", RuleAction.keep, skip_archive=True),
        RuleSpec("a", RuleAction.delete, archived_for_days=-1),
        RuleSpec("a", RuleAction.keep, priority=-5),
    ],
)
def test_invalid_rules_are_refused(spec: RuleSpec) -> None:
    with pytest.raises(InvalidInput) as refused:
        validate_rule(spec, Limits())
    assert refused.value.code == "invalid_retention_rule"


def test_a_run_applies_enabled_rules_by_priority_then_the_default_policy() -> None:
    late = _rule(RuleAction.archive, 5, conditions=Conditions(older_than_days=1))
    early = _rule(RuleAction.delete, 1)
    held = _rule(RuleAction.keep, 0, conditions=Conditions(metadata_contains={"pin": 1}))
    off = _rule(RuleAction.archive, 0, conditions=Conditions(older_than_days=1), enabled=False)
    policy = DefaultPolicy(max_age_days=30, importance_threshold=0.5, delete_archived_after_days=7)

    steps, keeps = plan([late, early, held, off], policy)

    assert [s.key for s in steps] == [
        str(early.id),
        str(late.id),
        "default:archive",
        "default:delete",
    ]
    assert keeps == [held.spec.conditions]
    # a dry run leaves out rows an earlier step takes: deletes always, archives for archives
    assert [s.key for s in steps[1].shadowed_by] == [str(early.id)]
    assert [s.key for s in steps[2].shadowed_by] == [str(early.id), str(late.id)]
    assert [s.key for s in steps[3].shadowed_by] == [str(early.id)]


def test_the_default_policy_is_off_at_zero_age_or_zero_threshold() -> None:
    assert plan([], DefaultPolicy(max_age_days=0))[0] == []
    assert plan([], DefaultPolicy(max_age_days=30, importance_threshold=0))[0] == []
    only_archive = plan([], DefaultPolicy(max_age_days=30))[0]
    assert [s.key for s in only_archive] == ["default:archive"]


def test_an_analytics_range_defaults_to_thirty_days_and_is_checked() -> None:
    span = resolve_range(None, None, now=NOW, max_span_days=366)
    assert (span.start, span.end) == (NOW - timedelta(days=30), NOW)
    with pytest.raises(InvalidInput, match="earlier"):
        resolve_range(NOW, NOW, now=NOW, max_span_days=366)
    with pytest.raises(InvalidInput, match="at most 7 days"):
        resolve_range(NOW - timedelta(days=8), NOW, now=NOW, max_span_days=7)
    with pytest.raises(InvalidInput, match="time zone"):
        resolve_range(datetime(2024, 1, 1), None, now=NOW, max_span_days=366)
    check_buckets(
        resolve_range(NOW - timedelta(days=41), NOW, now=NOW, max_span_days=366), Granularity.hour
    )
    with pytest.raises(InvalidInput, match="1000"):
        check_buckets(
            resolve_range(NOW - timedelta(days=42), NOW, now=NOW, max_span_days=366),
            Granularity.hour,
        )
    assert check_timezone("Europe/Paris") == "Europe/Paris"
    with pytest.raises(InvalidInput):
        check_timezone("../etc/passwd")


def test_remapped_ids_are_stable_per_tenant() -> None:
    old = uuid.uuid4()
    assert remap_id("a", old) == remap_id("a", old)
    assert remap_id("a", old) != remap_id("b", old) != old


async def test_lines_are_split_across_chunks_and_overlong_ones_dropped() -> None:
    async def chunks(*parts: bytes) -> AsyncIterator[bytes]:
        for part in parts:
            yield part

    got = [x async for x in _split_lines(chunks(b"ab", b"c\nd", b"\n\nxxxxxxxx", b"xx\nlast"), 5)]
    assert got == [(1, b"abc"), (2, b"d"), (3, b""), (4, None), (5, b"last")]
