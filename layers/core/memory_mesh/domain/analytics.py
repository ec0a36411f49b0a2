"""Analytics inputs: the date range and the time-series granularity, checked here once.

A range is half-open, ``[from, to)``, in times with a zone; left out, ``to`` is now and
``from`` is 30 days earlier. Messages count in the range by their ``created_at``.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from memory_mesh.errors import InvalidInput

DEFAULT_SPAN = timedelta(days=30)
MAX_BUCKETS = 1_000
MAX_TOP_CONVERSATIONS = 100


class Granularity(enum.StrEnum):
    hour = "hour"
    day = "day"
    week = "week"  # ISO weeks, starting on Monday
    month = "month"


_APPROX_BUCKET = {
    Granularity.hour: timedelta(hours=1),
    Granularity.day: timedelta(days=1),
    Granularity.week: timedelta(days=7),
    Granularity.month: timedelta(days=28),  # the shortest month: an upper bound on buckets
}


@dataclass(frozen=True)
class DateRange:
    start: datetime
    end: datetime


def _problem(field: str, message: str, code: str) -> InvalidInput:
    return InvalidInput(
        f"{field}: {message}", code=code, details=[{"field": field, "problem": message}]
    )


def resolve_range(
    start: datetime | None,
    end: datetime | None,
    *,
    now: datetime,
    max_span_days: int,
    days: int | None = None,
) -> DateRange:
    """The range asked for, with defaults; raise InvalidInput if it is not ``from < to``
    with zones, or longer than ``max_span_days``. ``days`` (the seed's shorthand) means
    ``from`` = ``to`` minus that many days; it cannot be combined with ``from``."""
    if days is not None:
        if start is not None:
            raise _problem("days", "give either 'days' or 'from', not both", "invalid_date_range")
        if not 1 <= days <= max_span_days:
            raise _problem("days", f"must be between 1 and {max_span_days}", "date_range_too_long")
        start = (end or now) - timedelta(days=days)
    for name, value in (("from", start), ("to", end)):
        if value is not None and value.tzinfo is None:
            raise _problem(
                name, "needs a time zone (for example 2024-05-01T00:00:00Z)", "invalid_timestamp"
            )
    end = end or now
    try:
        start = start or end - min(DEFAULT_SPAN, timedelta(days=max_span_days))
    except OverflowError:  # 'to' within the span of year 1
        raise _problem("to", "is too early", "invalid_date_range") from None
    if start >= end:
        raise _problem("from", "must be earlier than 'to'", "invalid_date_range")
    if end - start > timedelta(days=max_span_days):
        raise _problem(
            "to", f"the range may span at most {max_span_days} days", "date_range_too_long"
        )
    return DateRange(start, end)


def check_buckets(span: DateRange, granularity: Granularity) -> None:
    """Refuse a series of more than MAX_BUCKETS buckets (e.g. a year by the hour)."""
    buckets = (span.end - span.start) / _APPROX_BUCKET[granularity]
    if buckets > MAX_BUCKETS:
        raise _problem(
            "granularity",
            f"{granularity.value} buckets over this range would be more than {MAX_BUCKETS}; "
            "choose a coarser granularity or a shorter range",
            "too_many_buckets",
        )


def check_timezone(name: str) -> str:
    """An IANA time zone name (buckets start at local midnight, Monday, the 1st)."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise _problem(
            "timezone",
            f"{name!r} is not an IANA time zone (e.g. UTC, Europe/Paris)",
            "invalid_timezone",
        ) from None
    return name


def check_top_limit(limit: int) -> None:
    if not 1 <= limit <= MAX_TOP_CONVERSATIONS:
        raise _problem("limit", f"must be between 1 and {MAX_TOP_CONVERSATIONS}", "invalid_limit")
