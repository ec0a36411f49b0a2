"""Analytics SQL: each figure set is ONE statement over a tenant's rows in a date range
(``created_at`` in ``[start, end)``, read through the (tenant_id, created_at) index)."""

from __future__ import annotations

from typing import Any

from memory_mesh.domain.analytics import DateRange, Granularity
from memory_mesh.store.database import Conn


def _range(tenant_id: str, span: DateRange, **more: Any) -> dict[str, Any]:
    return {"tenant": tenant_id, "start": span.start, "end": span.end, **more}


async def usage(conn: Conn, *, tenant_id: str, span: DateRange) -> dict[str, Any]:
    """Messages stored in the range (by role, archived, characters, mean importance,
    conversations active / created), and the tenant's totals now."""
    cur = await conn.execute(
        """
        with m as materialized (
            select role, archived, importance, length(content) as chars, conversation_id
            from messages
            where tenant_id = %(tenant)s and created_at >= %(start)s and created_at < %(end)s
        )
        select agg.*, roles.by_role, made.conversations_created, stored.*
        from (select count(*) as messages,
                     count(*) filter (where archived) as archived,
                     coalesce(sum(chars), 0) as content_chars,
                     avg(importance)::float8 as mean_importance,
                     count(distinct conversation_id) as active_conversations
              from m) agg,
             (select coalesce(jsonb_object_agg(role, n), '{}'::jsonb) as by_role
              from (select role, count(*) as n from m group by role) r) roles,
             (select count(*) as conversations_created from conversations
              where tenant_id = %(tenant)s and created_at >= %(start)s
                and created_at < %(end)s) made,
             (select (select count(*) from messages where tenant_id = %(tenant)s)
                         as stored_messages,
                     (select count(*) from messages where tenant_id = %(tenant)s and archived)
                         as stored_archived,
                     (select count(*) from conversations where tenant_id = %(tenant)s)
                         as stored_conversations) stored
        """,
        _range(tenant_id, span),
    )
    row = await cur.fetchone()
    assert row is not None
    return dict(row)


_STEP = {
    Granularity.hour: "1 hour",
    Granularity.day: "1 day",
    Granularity.week: "7 days",
    Granularity.month: "1 month",
}


async def trends(
    conn: Conn, *, tenant_id: str, span: DateRange, granularity: Granularity, timezone: str
) -> list[dict[str, Any]]:
    """One row per bucket from the bucket holding ``start`` to the one holding the end,
    empty buckets included (zeros). Buckets are calendar units in ``timezone``."""
    cur = await conn.execute(
        """
        with bounds as (
            select date_trunc(%(unit)s, %(start)s::timestamptz at time zone %(tz)s) as first,
                   date_trunc(%(unit)s, (%(end)s::timestamptz - interval '1 microsecond')
                                        at time zone %(tz)s) as last
        ), buckets as (
            select generate_series(first, last, %(step)s::interval) as bucket from bounds
        ), counts as (
            select date_trunc(%(unit)s, created_at at time zone %(tz)s) as bucket,
                   count(*) as messages,
                   count(*) filter (where role = 'user') as user_messages,
                   count(*) filter (where role = 'assistant') as assistant_messages,
                   count(*) filter (where role = 'system') as system_messages,
                   count(*) filter (where role = 'tool') as tool_messages,
                   count(distinct conversation_id) as active_conversations,
                   avg(importance)::float8 as mean_importance
            from messages
            where tenant_id = %(tenant)s and created_at >= %(start)s and created_at < %(end)s
            group by 1
        )
        select b.bucket at time zone %(tz)s as bucket_start,
               coalesce(c.messages, 0) as messages,
               coalesce(c.user_messages, 0) as user_messages,
               coalesce(c.assistant_messages, 0) as assistant_messages,
               coalesce(c.system_messages, 0) as system_messages,
               coalesce(c.tool_messages, 0) as tool_messages,
               coalesce(c.active_conversations, 0) as active_conversations,
               c.mean_importance
        from buckets b left join counts c on c.bucket = b.bucket
        order by b.bucket
        """,
        _range(
            tenant_id,
            span,
            unit=granularity.value,
            step=_STEP[granularity],
            tz=timezone,
        ),
    )
    return [dict(row) for row in await cur.fetchall()]


async def top_conversations(
    conn: Conn, *, tenant_id: str, span: DateRange, limit: int
) -> list[dict[str, Any]]:
    """The conversations with the most messages in the range (ties: latest activity)."""
    cur = await conn.execute(
        """
        select c.id, c.external_id, c.title, c.created_at, s.messages, s.first_message_at,
               s.last_message_at, s.mean_importance
        from (
            select conversation_id, count(*) as messages, min(created_at) as first_message_at,
                   max(created_at) as last_message_at, avg(importance)::float8 as mean_importance
            from messages
            where tenant_id = %(tenant)s and created_at >= %(start)s and created_at < %(end)s
            group by conversation_id
            order by count(*) desc, max(created_at) desc, conversation_id
            limit %(limit)s
        ) s
        join conversations c on c.id = s.conversation_id and c.tenant_id = %(tenant)s
        order by s.messages desc, s.last_message_at desc, c.id
        """,
        _range(tenant_id, span, limit=limit),
    )
    return [dict(row) for row in await cur.fetchall()]


async def embedding_stats(conn: Conn, *, tenant_id: str, span: DateRange) -> dict[str, Any]:
    """Embedding state of the range's messages: counts by status, vectors by provider /
    model / dimension, the commonest errors, and latency (ms) from the request of the
    current embedding (store or content change) to its vector."""
    cur = await conn.execute(
        """
        with m as materialized (
            select embedding_status as status, embedding_provider as provider,
                   embedding_model as model, embedding_dimensions as dimensions,
                   embedding_error as error,
                   case when embedding_status = 'ready' and embedded_at is not null then
                       greatest(0, extract(epoch from embedded_at
                                - coalesce(embedding_requested_at, created_at)))::float8 * 1000
                   end as latency_ms
            from messages
            where tenant_id = %(tenant)s and created_at >= %(start)s and created_at < %(end)s
        )
        select agg.*, models.models, errors.top_errors
        from (select count(*) as messages,
                     count(*) filter (where status = 'ready') as ready,
                     count(*) filter (where status = 'pending') as pending,
                     count(*) filter (where status = 'failed') as failed,
                     percentile_cont(0.5) within group (order by latency_ms) as latency_p50_ms,
                     percentile_cont(0.9) within group (order by latency_ms) as latency_p90_ms,
                     percentile_cont(0.99) within group (order by latency_ms) as latency_p99_ms,
                     avg(latency_ms) as latency_mean_ms,
                     max(latency_ms) as latency_max_ms
              from m) agg,
             (select coalesce(jsonb_agg(jsonb_build_object(
                         'provider', provider, 'model', model, 'dimensions', dimensions,
                         'messages', n) order by n desc, provider, model), '[]'::jsonb) as models
              from (select provider, model, dimensions, count(*) as n from m
                    where status = 'ready' group by provider, model, dimensions) x) models,
             (select coalesce(jsonb_agg(jsonb_build_object('error', error, 'messages', n)
                         order by n desc, error), '[]'::jsonb) as top_errors
              from (select error, count(*) as n from m
                    where status <> 'ready' and error is not null
                    group by error order by count(*) desc, error limit 5) e) errors
        """,
        _range(tenant_id, span),
    )
    row = await cur.fetchone()
    assert row is not None
    return dict(row)
