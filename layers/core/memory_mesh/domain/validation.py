"""Input rules that depend on configured limits; one place for each, raising InvalidInput
with the field named. Static shape rules (types, enums, UUIDs) live in the HTTP schemas.
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


def check_page_size(limit: int, limits: Limits) -> None:
    if not 1 <= limit <= limits.max_page_size:
        raise _problem("limit", f"must be between 1 and {limits.max_page_size}", "invalid_limit")


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
