"""Opaque pagination cursors: the (created_at, id) of the last row of a page."""

from __future__ import annotations

import base64
import binascii
from datetime import datetime
from uuid import UUID

from memory_mesh.errors import InvalidInput


def encode_cursor(created_at: datetime, row_id: UUID) -> str:
    raw = f"{created_at.isoformat()}|{row_id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, UUID]:
    """Raise InvalidInput (code ``invalid_cursor``) for anything not made by encode_cursor."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        at, _, row_id = raw.partition("|")
        return datetime.fromisoformat(at), UUID(row_id)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise InvalidInput(
            "cursor: is not a cursor this API returned",
            code="invalid_cursor",
            details=[{"field": "cursor", "problem": "malformed"}],
        ) from None
