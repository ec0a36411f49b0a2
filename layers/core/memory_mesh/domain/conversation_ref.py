"""How a request names a conversation: the server's UUID, or the client's own id. No I/O.

A client names its conversations the way mem0's ``user_id`` or Zep's ``session_id`` do:
with an id of its own (an *external id*, e.g. ``user-123``): 1-128 characters, each a
letter, digit or one of ``. _ : @ -``, the first a letter or digit (so ``.`` and ``..``,
which URLs cannot carry as a path segment, are never ids). External ids are per tenant
(two tenants may both have ``user-123``) and fixed once a conversation has one.

A value that is exactly the 36-character form of a UUID (``8-4-4-4-12`` hex digits, any
case) is the server's conversation id; every other value is an external id. So an
external id can never look like a UUID, and each value means one thing only.
"""

from __future__ import annotations

import re
from uuid import UUID

from memory_mesh.errors import InvalidInput

EXTERNAL_ID_MAX_CHARS = 128
# the same rule, for the OpenAPI document and the database's check constraint
EXTERNAL_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$"
_EXTERNAL = re.compile(EXTERNAL_ID_PATTERN)
_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")

# a conversation as a request names it: a UUID (the server's id) or a str (an external id)
ConversationRef = UUID | str

REF_DESCRIPTION = (
    "The conversation: its server id (a UUID, 8-4-4-4-12 hex digits) or your own id "
    "(1-128 letters, digits, '.', '_', ':', '@' or '-', starting with a letter or digit, "
    "e.g. `user-123`; not UUID-shaped)."
)


def is_uuid_shaped(value: str) -> bool:
    return _UUID.fullmatch(value) is not None


def parse_conversation_ref(value: str | UUID, field: str = "conversation_id") -> ConversationRef:
    """The UUID a UUID-shaped value names, or the value itself as an external id.

    Raises InvalidInput (``invalid_conversation_id``) for anything else.
    """
    if isinstance(value, UUID):
        return value
    if is_uuid_shaped(value):
        return UUID(value)
    return check_external_id(value, field=field, code="invalid_conversation_id")


def check_external_id(
    value: str, *, field: str = "external_id", code: str = "invalid_external_id"
) -> str:
    """An external id as stored: the pattern above, and not UUID-shaped."""
    if is_uuid_shaped(value):
        raise InvalidInput(
            f"{field}: {value} is UUID-shaped, and a UUID names the server's conversation "
            "id; use another form for your own id (or pass it as `id` when creating it)",
            code=code,
            details=[{"field": field, "problem": "UUID-shaped external id"}],
        )
    if _EXTERNAL.fullmatch(value) is None:
        raise InvalidInput(
            f"{field}: must be a conversation UUID or your own id of 1-"
            f"{EXTERNAL_ID_MAX_CHARS} letters, digits, '.', '_', ':', '@' or '-', "
            "starting with a letter or digit",
            code=code,
            details=[{"field": field, "problem": "not a UUID nor a valid external id"}],
        )
    return value
