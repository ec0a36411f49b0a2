"""Analytics over HTTP on the real database, every figure checked against counts made
here in Python from the rows the test itself wrote; and bad ranges answered with 4xx."""

from __future__ import annotations

import statistics
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import numpy as np
import pytest
from fastapi import FastAPI

from memory_mesh.runtime import Runtime
from tests.conftest import http_client, make_tenant
from tests.integration import seed
from tests.integration.seed import Row

# a fixed week, well in the past, so "now" never moves the figures
MONDAY = datetime(2024, 3, 4, tzinfo=UTC)
ROLES = ["user", "assistant", "system", "tool"]


def iso(value: datetime) -> str:
    return value.isoformat()


async def _dataset(runtime: Runtime, tenant: str) -> tuple[list[Row], dict[str, str]]:
    """Three conversations; messages spread over 10 days (two empty days in the middle),
    with known roles, importance, archive flags and embedding states."""
    convs = {
        name: await seed.conversation(
            runtime, tenant, title=name, created_at=MONDAY + timedelta(hours=i)
        )
        for i, name in enumerate(("busy", "quiet", "outside"))
    }
    rows: list[Row] = []
    for i in range(60):
        day = i % 10
        if day in (4, 5):  # two empty days
            day = 6
        created = MONDAY + timedelta(days=day, hours=(i * 7) % 24, minutes=i)
        ready = i % 5 != 0
        failed = i % 10 == 0
        rows.append(
            Row(
                conversation_id=convs["busy"] if i % 3 else convs["quiet"],
                created_at=created,
                role=ROLES[i % 4],
                content="x" * (10 + i),
                importance=round((i % 10) / 10, 1),
                archived=i % 7 == 0,
                archived_at=created + timedelta(days=1) if i % 7 == 0 else None,
                embedding_status="ready" if ready else ("failed" if failed else "pending"),
                embedding_provider=("local" if i % 2 else "gemini") if ready else None,
                embedding_model=("minilm" if i % 2 else "gemini-embedding-001") if ready else None,
                embedding_dimensions=384 if ready else None,
                embedding_error=None if ready else ("timeout" if failed else "rate limited"),
                embedding_requested_at=created + timedelta(seconds=i),
                embedded_at=created + timedelta(seconds=i + 0.1 * (i + 1)) if ready else None,
            )
        )
    # before and after the range: must never count
    rows.append(Row(convs["outside"], MONDAY - timedelta(seconds=1)))
    rows.append(Row(convs["outside"], MONDAY + timedelta(days=10)))
    await seed.insert(runtime, tenant, rows)
    return rows, convs


RANGE_START = MONDAY
RANGE_END = MONDAY + timedelta(days=10)


def in_range(rows: list[Row]) -> list[Row]:
    return [r for r in rows if RANGE_START <= r.created_at < RANGE_END]


@pytest.fixture
async def dataset(runtime: Runtime, tenant: str) -> tuple[list[Row], dict[str, str]]:
    return await _dataset(runtime, tenant)


def params(**more: Any) -> dict[str, Any]:
    return {"from": iso(RANGE_START), "to": iso(RANGE_END), **more}


async def test_usage_matches_counts_made_independently(
    client: httpx.AsyncClient, dataset: tuple[list[Row], dict[str, str]]
) -> None:
    rows, _ = dataset
    inside = in_range(rows)

    body = (await client.get("/v1/analytics/usage", params=params())).json()

    assert body["messages"] == len(inside) == 60
    assert body["by_role"] == dict(Counter(r.role for r in inside))
    assert body["archived"] == sum(r.archived for r in inside)
    assert body["content_chars"] == sum(len(r.content) for r in inside)
    assert body["mean_importance"] == pytest.approx(
        statistics.mean(r.importance for r in inside), abs=1e-6
    )
    assert body["active_conversations"] == len({r.conversation_id for r in inside}) == 2
    assert body["conversations_created"] == 3  # all three were created on that Monday
    assert body["stored"] == {"messages": len(rows), "archived": 9, "conversations": 3}
    assert body["range"] == {"from": "2024-03-04T00:00:00Z", "to": "2024-03-14T00:00:00Z"}


async def test_trends_give_every_bucket_with_zeros_for_empty_ones(
    client: httpx.AsyncClient, dataset: tuple[list[Row], dict[str, str]]
) -> None:
    rows, _ = dataset
    inside = in_range(rows)

    body = (await client.get("/v1/analytics/trends", params=params(granularity="day"))).json()

    buckets = body["buckets"]
    assert len(buckets) == 10
    per_day = Counter((r.created_at - MONDAY).days for r in inside)
    assert [b["messages"] for b in buckets] == [per_day.get(d, 0) for d in range(10)]
    assert buckets[4]["messages"] == buckets[5]["messages"] == 0
    assert buckets[4]["mean_importance"] is None
    day0 = [r for r in inside if r.created_at.date() == MONDAY.date()]
    assert buckets[0]["user_messages"] == sum(r.role == "user" for r in day0)
    assert buckets[0]["active_conversations"] == len({r.conversation_id for r in day0})
    assert buckets[0]["bucket_start"] == "2024-03-04T00:00:00Z"
    assert sum(b["messages"] for b in buckets) == len(inside)

    hourly = (
        await client.get(
            "/v1/analytics/trends",
            params={
                "from": iso(MONDAY),
                "to": iso(MONDAY + timedelta(days=1)),
                "granularity": "hour",
            },
        )
    ).json()["buckets"]
    per_hour = Counter(r.created_at.hour for r in day0)
    assert [b["messages"] for b in hourly] == [per_hour.get(h, 0) for h in range(24)]

    weekly = (await client.get("/v1/analytics/trends", params=params(granularity="week"))).json()
    assert [b["bucket_start"] for b in weekly["buckets"]] == [
        "2024-03-04T00:00:00Z",
        "2024-03-11T00:00:00Z",
    ]
    per_week = Counter((r.created_at - MONDAY).days // 7 for r in inside)
    assert [b["messages"] for b in weekly["buckets"]] == [per_week[0], per_week[1]]

    monthly = (
        await client.get(
            "/v1/analytics/trends",
            params={"from": "2024-01-15T00:00:00Z", "to": iso(RANGE_END), "granularity": "month"},
        )
    ).json()["buckets"]
    # January and February are empty; the row one second before the range is in March
    assert [b["messages"] for b in monthly] == [0, 0, len(inside) + 1]


async def test_trend_buckets_follow_the_requested_time_zone(
    client: httpx.AsyncClient, runtime: Runtime, tenant: str
) -> None:
    conv = await seed.conversation(runtime, tenant)
    # 03:00 UTC on the 5th is still the 4th in New York (UTC-5 in early March)
    await seed.insert(runtime, tenant, [Row(conv, datetime(2024, 3, 5, 3, tzinfo=UTC))])

    body = (
        await client.get(
            "/v1/analytics/trends",
            params={
                "from": "2024-03-04T05:00:00Z",
                "to": "2024-03-06T05:00:00Z",
                "timezone": "America/New_York",
            },
        )
    ).json()

    assert [(b["bucket_start"], b["messages"]) for b in body["buckets"]] == [
        ("2024-03-04T05:00:00Z", 1),
        ("2024-03-05T05:00:00Z", 0),
    ]


async def test_top_conversations_rank_by_messages_in_the_range(
    client: httpx.AsyncClient, dataset: tuple[list[Row], dict[str, str]]
) -> None:
    rows, convs = dataset
    inside = in_range(rows)
    counts = Counter(r.conversation_id for r in inside)

    body = (await client.get("/v1/analytics/top-conversations", params=params())).json()

    assert [(c["id"], c["messages"]) for c in body["items"]] == [
        (convs["busy"], counts[convs["busy"]]),
        (convs["quiet"], counts[convs["quiet"]]),
    ]
    busy = [r for r in inside if r.conversation_id == convs["busy"]]
    top = body["items"][0]
    assert top["title"] == "busy"
    assert top["last_message_at"] == iso(max(r.created_at for r in busy)).replace("+00:00", "Z")
    assert top["mean_importance"] == pytest.approx(
        statistics.mean(r.importance for r in busy), abs=1e-6
    )
    one = await client.get("/v1/analytics/top-conversations", params=params(limit=1))
    assert [c["id"] for c in one.json()["items"]] == [convs["busy"]]


async def test_embedding_stats_match_counts_made_independently(
    client: httpx.AsyncClient, dataset: tuple[list[Row], dict[str, str]]
) -> None:
    rows, _ = dataset
    inside = in_range(rows)
    ready = [r for r in inside if r.embedding_status == "ready"]

    body = (await client.get("/v1/analytics/embedding-stats", params=params())).json()

    status = Counter(r.embedding_status for r in inside)
    assert (body["messages"], body["ready"], body["pending"], body["failed"]) == (
        len(inside),
        status["ready"],
        status["pending"],
        status["failed"],
    )
    assert body["coverage"] == round(len(ready) / len(inside), 4)
    models = Counter((r.embedding_provider, r.embedding_model) for r in ready)
    assert {(m["provider"], m["model"]): m["messages"] for m in body["models"]} == models
    latencies = [
        (r.embedded_at - r.embedding_requested_at).total_seconds() * 1000  # type: ignore[operator]
        for r in ready
    ]
    for key, q in (("p50", 50), ("p90", 90), ("p99", 99)):
        # percentile_cont interpolates linearly, like numpy's default
        assert body["latency_ms"][key] == pytest.approx(np.percentile(latencies, q), rel=1e-6)
    assert body["latency_ms"]["max"] == pytest.approx(max(latencies), rel=1e-6)
    errors = Counter(r.embedding_error for r in inside if r.embedding_status != "ready")
    assert {e["error"]: e["messages"] for e in body["top_errors"]} == errors


async def test_an_empty_range_answers_zeros_not_errors(client: httpx.AsyncClient) -> None:
    window = {"from": "2001-01-01T00:00:00Z", "to": "2001-01-02T00:00:00Z"}
    usage = (await client.get("/v1/analytics/usage", params=window)).json()
    assert (usage["messages"], usage["by_role"], usage["mean_importance"]) == (0, {}, None)
    stats = (await client.get("/v1/analytics/embedding-stats", params=window)).json()
    assert (stats["messages"], stats["coverage"], stats["models"]) == (0, None, [])
    assert stats["latency_ms"]["p50"] is None
    top = (await client.get("/v1/analytics/top-conversations", params=window)).json()
    assert top["items"] == []


async def test_the_default_range_is_the_last_thirty_days(
    client: httpx.AsyncClient, runtime: Runtime, tenant: str
) -> None:
    conv = await seed.conversation(runtime, tenant)
    now = datetime.now(UTC)
    await seed.insert(
        runtime,
        tenant,
        [Row(conv, now - timedelta(days=29)), Row(conv, now - timedelta(days=31))],
    )
    body = (await client.get("/v1/analytics/usage")).json()
    assert body["messages"] == 1


BAD: list[tuple[str, str, dict[str, Any], int, str]] = [
    (
        "from after to",
        "usage",
        {"from": "2024-03-05T00:00:00Z", "to": "2024-03-04T00:00:00Z"},
        422,
        "invalid_date_range",
    ),
    (
        "from equals to",
        "usage",
        {"from": "2024-03-05T00:00:00Z", "to": "2024-03-05T00:00:00Z"},
        422,
        "invalid_date_range",
    ),
    (
        "range too long",
        "usage",
        {"from": "2022-01-01T00:00:00Z", "to": "2024-01-01T00:00:00Z"},
        422,
        "date_range_too_long",
    ),
    ("no time zone", "usage", {"from": "2024-03-01T00:00:00"}, 422, "invalid_timestamp"),
    ("not a date", "embedding-stats", {"to": "yesterday"}, 422, "validation_error"),
    (
        "hourly over 60 days",
        "trends",
        {"from": "2024-01-01T00:00:00Z", "to": "2024-03-01T00:00:00Z", "granularity": "hour"},
        422,
        "too_many_buckets",
    ),
    ("unknown granularity", "trends", {"granularity": "fortnight"}, 422, "validation_error"),
    ("unknown time zone", "trends", {"timezone": "Mars/Olympus"}, 422, "invalid_timezone"),
    ("limit 0", "top-conversations", {"limit": 0}, 422, "invalid_limit"),
    ("limit 1000", "top-conversations", {"limit": 1000}, 422, "invalid_limit"),
]


@pytest.mark.parametrize(
    ("path", "query", "status", "code"), [b[1:] for b in BAD], ids=[b[0] for b in BAD]
)
async def test_bad_analytics_requests_get_a_clear_4xx(
    client: httpx.AsyncClient, path: str, query: dict[str, Any], status: int, code: str
) -> None:
    response = await client.get(f"/v1/analytics/{path}", params=query)
    assert (response.status_code, response.json()["code"]) == (status, code), response.text


async def test_analytics_see_only_the_callers_tenant(
    app: FastAPI, runtime: Runtime, dataset: tuple[list[Row], dict[str, str]], tenant: str
) -> None:
    _other, other_key = await make_tenant(runtime)
    async with http_client(app, other_key) as outsider:
        named = await outsider.get("/v1/analytics/usage", params={"tenant_id": tenant})
        assert (named.status_code, named.json()["code"]) == (403, "tenant_forbidden")
        own = (await outsider.get("/v1/analytics/usage", params=params())).json()
        assert own["messages"] == 0 and own["stored"]["messages"] == 0
