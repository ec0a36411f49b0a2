"""Input rules, one place for each, raising InvalidInput with the field named: those
that depend on configured limits, the ranges and times services check, paging, and the
one text rule every JSON input obeys (:func:`check_text`, applied to each request body
by the HTTP schemas). Static shape rules (types, enums, UUIDs) live in the HTTP schemas.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from memory_mesh.errors import InvalidInput

MAX_METADATA_DEPTH = 5


@dataclass(frozen=True)
class Limits:
    max_content_chars: int = 32_000
    max_metadata_bytes: int = 16_384
    max_batch_size: int = 1_000
    max_top_k: int = 100
    max_page_size: int = 200


def _problem(field: str, message: str, code: str) -> InvalidInput:
    return InvalidInput(
        f"{field}: {message}", code=code, details=[{"field": field, "problem": message}]
    )


def check_content(content: str, limits: Limits, field: str = "content") -> str:
    """Content must hold visible text, fit the limit and contain no NUL character."""
    if not content.strip():
        raise _problem(field, "must not be empty", "content_empty")
    if len(content) > limits.max_content_chars:
        raise _problem(
            field,
            f"is {len(content)} characters; the limit is {limits.max_content_chars}",
            "content_too_long",
        )
    if "\x00" in content:
        raise _problem(field, "must not contain NUL (\\u0000) characters", "invalid_characters")
    return content


def _depth(value: Any, level: int = 1) -> int:
    if isinstance(value, dict):
        return max([_depth(v, level + 1) for v in value.values()], default=level)
    if isinstance(value, list):
        return max([_depth(v, level + 1) for v in value], default=level)
    return level - 1


def check_metadata(metadata: dict[str, Any], limits: Limits, field: str = "metadata") -> None:
    """Metadata is a JSON object within the size and depth limits, without NUL characters."""
    encoded = json.dumps(metadata, ensure_ascii=False, allow_nan=False)
    size = len(encoded.encode("utf-8"))
    if size > limits.max_metadata_bytes:
        raise _problem(
            field,
            f"is {size} bytes; the limit is {limits.max_metadata_bytes}",
            "metadata_too_large",
        )
    if _depth(metadata) > MAX_METADATA_DEPTH:
        raise _problem(field, f"nests deeper than {MAX_METADATA_DEPTH} levels", "metadata_too_deep")
    if "\\u0000" in encoded or "\x00" in encoded:
        raise _problem(field, "must not contain NUL (\\u0000) characters", "invalid_characters")


def check_importance(importance: float | None, field: str = "importance") -> None:
    """An explicit importance lies in [0, 1] (None: computed)."""
    if importance is not None and not 0 <= importance <= 1:
        raise _problem(field, "must be between 0 and 1", "invalid_importance")


FUTURE_SKEW = timedelta(minutes=5)  # clocks disagree a little; more is a mistake


def check_created_at(created_at: datetime | None, now: datetime) -> None:
    """A client-given creation time has a zone and is not in the future."""
    if created_at is None:
        return
    if created_at.tzinfo is None:
        raise _problem(
            "created_at",
            "needs a time zone (for example 2024-05-01T10:00:00Z)",
            "invalid_timestamp",
        )
    if created_at > now + FUTURE_SKEW:
        raise _problem("created_at", "must not be in the future", "invalid_timestamp")


def check_query(query: str, limits: Limits) -> None:
    """A search query holds visible text, within the content limit, without NUL."""
    if not query.strip():
        raise _problem("query", "must not be empty", "query_empty")
    if len(query) > limits.max_content_chars or "\x00" in query:
        raise _problem(
            "query",
            f"must be at most {limits.max_content_chars} characters, without NUL",
            "invalid_query",
        )


def check_min_score(min_score: float) -> None:
    if not 0 <= min_score <= 1:
        raise _problem("min_score", "must be between 0 and 1", "invalid_min_score")


def check_time_range(after: datetime | None, before: datetime | None) -> None:
    """``created_after`` < ``created_before`` when both are given; each has a zone."""
    for name, value in (("created_after", after), ("created_before", before)):
        if value is not None and value.tzinfo is None:
            raise _problem(
                name, "needs a time zone (for example 2024-05-01T10:00:00Z)", "invalid_timestamp"
            )
    if after is not None and before is not None and after >= before:
        raise _problem("created_after", "must be earlier than created_before", "invalid_time_range")


def check_batch(size: int, limits: Limits) -> None:
    if size == 0:
        raise _problem("items", "must hold at least one item", "batch_empty")
    if size > limits.max_batch_size:
        raise _problem(
            "items", f"holds {size} items; the limit is {limits.max_batch_size}", "batch_too_large"
        )


def check_top_k(top_k: int, limits: Limits) -> None:
    if not 1 <= top_k <= limits.max_top_k:
        raise _problem("top_k", f"must be between 1 and {limits.max_top_k}", "invalid_top_k")


def check_page_size(limit: int, limits: Limits, field: str = "limit") -> None:
    if not 1 <= limit <= limits.max_page_size:
        raise _problem(field, f"must be between 1 and {limits.max_page_size}", "invalid_limit")


DEFAULT_PAGE_SIZE = 50
MAX_PAGE_NUMBER = 10_000  # numbered pages skip rows (offset): deep ones should use cursors


@dataclass(frozen=True)
class PageRequest:
    """One page of a listing: ``limit`` rows after ``cursor``, or after skipping ``offset``."""

    limit: int = DEFAULT_PAGE_SIZE
    cursor: str | None = None
    offset: int = 0


def resolve_paging(
    *,
    limit: int | None,
    cursor: str | None,
    page: int | None,
    page_size: int | None,
    limits: Limits,
) -> PageRequest:
    """Cursor paging (``limit``, ``cursor``) or numbered paging (``page`` from 1,
    ``page_size``, the seed README's); mixing the two is refused."""
    if (page is not None or page_size is not None) and (limit is not None or cursor):
        raise _problem(
            "page",
            "use either page/page_size or limit/cursor, not both",
            "pagination_mixed",
        )
    if page is None and page_size is None:
        size = DEFAULT_PAGE_SIZE if limit is None else limit
        check_page_size(size, limits)
        return PageRequest(limit=size, cursor=cursor or None)
    size = DEFAULT_PAGE_SIZE if page_size is None else page_size
    check_page_size(size, limits, field="page_size")
    number = 1 if page is None else page
    if not 1 <= number <= MAX_PAGE_NUMBER:
        raise _problem("page", f"must be between 1 and {MAX_PAGE_NUMBER}", "invalid_page")
    return PageRequest(limit=size, offset=(number - 1) * size)


def _unstorable(text: str) -> str | None:
    """Why PostgreSQL (or any UTF-8 consumer) cannot store ``text``, or None."""
    if "\x00" in text:
        return "must not contain NUL (\\u0000) characters"
    if any("\ud800" <= ch <= "\udfff" for ch in text):
        return "contains a lone UTF-16 surrogate (e.g. \\ud800), which is not a character"
    return None


def _unstorable_at(value: Any, path: str) -> tuple[str, str] | None:
    """(path, problem) of the first string or object key in ``value`` that cannot be
    stored, or None."""
    if isinstance(value, str):
        problem = _unstorable(value)
        return (path, problem) if problem else None
    if isinstance(value, dict):
        for key, item in value.items():
            inner = f"{path}.{key}" if path else str(key)
            problem = _unstorable(key) if isinstance(key, str) else None
            if problem:
                printable = inner.encode("utf-8", "backslashreplace").decode("ascii")
                return printable.replace("\x00", "\\u0000"), problem
            found = _unstorable_at(item, inner)
            if found is not None:
                return found
    if isinstance(value, list):
        for index, item in enumerate(value):
            found = _unstorable_at(item, f"{path}.{index}" if path else str(index))
            if found is not None:
                return found
    return None


def check_text(value: Any, field: str = "body") -> None:
    """Every string in a decoded JSON value (object keys included) must be storable text:
    no NUL, and no lone UTF-16 surrogate (JSON's ``\\ud800`` escape decodes to one, which
    is no character). One rule for every field, applied as a body is read."""
    found = _unstorable_at(value, "")
    if found is not None:
        where, problem = found
        raise _problem(where or field, problem, "invalid_characters")


# PostgreSQL refuses a time zone offset beyond this (an error, not a 4xx, if it got there)
MAX_UTC_OFFSET = timedelta(hours=15, minutes=59, seconds=59)


def check_utc_offset(value: datetime | None, field: str) -> None:
    """A client-given time's zone offset is one PostgreSQL can store (within +-15:59)."""
    offset = value.utcoffset() if value is not None else None
    if offset is not None and abs(offset) > MAX_UTC_OFFSET:
        raise _problem(
            field, "time zone offset must be within -15:59 and +15:59", "invalid_timestamp"
        )


# the earliest time a client may give a stored message: nothing was chatted before it,
# and far older rows would overflow the search's recency decay (0.5 ** (age / half-life))
EARLIEST_STORED_TIME = datetime(1970, 1, 1, tzinfo=UTC)


def check_stored_time(value: datetime | None, field: str) -> None:
    """A client-given time to store: an offset PostgreSQL takes, not before 1970."""
    check_utc_offset(value, field)
    if value is not None and value.tzinfo is not None and value < EARLIEST_STORED_TIME:
        raise _problem(field, "must be 1970-01-01T00:00:00Z or later", "invalid_timestamp")
