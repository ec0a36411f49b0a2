"""The export format (JSON Lines) and how imported ids are mapped. No I/O.

One JSON object per line, in this order::

    {"type": "header", "format": "memory-mesh.export", "version": 1, "scope": "tenant",
     "tenant_id": "acme", "exported_at": "..."}
    {"type": "conversation", "id": ..., "external_id": "user-123", "title": ...,
     "metadata": {...}, "created_at": ..., "updated_at": ...}
    {"type": "message", "id": ..., "conversation_id": ..., "role": "user", "content": ...,
     "metadata": {...}, "importance": 0.62, "importance_explicit": false,
     "created_at": ..., "archived": false, "archived_at": null}
    ... (each conversation is followed by its messages, oldest first)
    {"type": "end", "conversations": 12, "messages": 3400}

The ``end`` line lets a reader tell a complete file from a cut one. Vectors are not
exported: an import embeds every message again through the normal pipeline (and so works
across embedding models). On import the header is optional (if present it must come
first and name a version this server reads) and unknown fields are ignored.

Ids (``ids`` on import): ``preserve`` keeps every id (restoring a backup, moving a tenant
to another installation); an id another tenant of this database holds is reported on its
line. ``remap`` derives new ids as ``uuid5(namespace, "<tenant>/<old id>")`` for
conversations and messages alike: a copy into another tenant of the same database, still
idempotent (importing the same file twice maps to the same ids, so nothing doubles), and
a message still finds its conversation when a file is imported in several parts.

External ids (the client's own conversation ids, per tenant) are kept in both modes. A
conversation line whose external id the tenant already holds under another id merges
into that conversation: its messages go there. A message line may name its conversation
by external id alone (``"conversation_id": "user-123"``), which creates the conversation
if the tenant has none of that id, as ``POST /v1/messages`` does.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID, uuid5

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from memory_mesh.domain.conversation_ref import EXTERNAL_ID_PATTERN
from memory_mesh.domain.models import Conversation, Role

FORMAT = "memory-mesh.export"
VERSION = 1
MAX_LINE_BYTES = 1024 * 1024
MEDIA_TYPE = "application/x-ndjson"
# accepted request bodies of an import (JSON Lines has no single registered type)
IMPORT_MEDIA_TYPES = frozenset(
    {
        "application/x-ndjson",
        "application/jsonl",
        "application/json-lines",
        "application/x-jsonlines",
        "text/plain",
        "application/octet-stream",
    }
)
_REMAP_NAMESPACE = UUID("8e0c4d36-2f8b-4f2e-9a51-6d2b0c7f1a10")


def remap_id(tenant_id: str, old: UUID) -> UUID:
    """The id an imported object gets in ``tenant_id`` under ``ids=remap`` (stable)."""
    return uuid5(_REMAP_NAMESPACE, f"{tenant_id}/{old}")


def encode_line(obj: dict[str, Any]) -> bytes:
    return (
        json.dumps(obj, ensure_ascii=False, separators=(",", ":"), default=_default) + "\n"
    ).encode()


def _default(value: object) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    raise TypeError(f"cannot encode {type(value).__name__}")


def header_line(*, tenant_id: str, scope: str, exported_at: datetime) -> dict[str, Any]:
    return {
        "type": "header",
        "format": FORMAT,
        "version": VERSION,
        "scope": scope,
        "tenant_id": tenant_id,
        "exported_at": exported_at,
    }


def conversation_line(c: Conversation) -> dict[str, Any]:
    return {
        "type": "conversation",
        "id": c.id,
        "external_id": c.external_id,
        "title": c.title,
        "metadata": c.metadata,
        "created_at": c.created_at,
        "updated_at": c.updated_at,
    }


def end_line(conversations: int, messages: int) -> dict[str, Any]:
    return {"type": "end", "conversations": conversations, "messages": messages}


# --- lines as read back -----------------------------------------------------------


class _Line(BaseModel):
    model_config = ConfigDict(extra="ignore")


class HeaderLine(_Line):
    type: Literal["header"]
    format: str
    version: int


class ConversationLine(_Line):
    type: Literal["conversation"]
    id: UUID
    external_id: Annotated[str, Field(pattern=EXTERNAL_ID_PATTERN)] | None = None
    title: Annotated[str, Field(max_length=500)] | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)
    created_at: AwareDatetime | None = None
    updated_at: AwareDatetime | None = None


class MessageLine(_Line):
    type: Literal["message"]
    id: UUID | None = None  # left out: a new id (then a second import stores it again)
    # the conversation's id in the file, or an external id of the importing tenant
    conversation_id: UUID | Annotated[str, Field(pattern=EXTERNAL_ID_PATTERN)]
    role: Role
    content: str
    metadata: dict[str, Any] = Field(default_factory=dict)
    importance: float | None = None
    importance_explicit: bool | None = None
    created_at: AwareDatetime | None = None
    archived: bool = False
    archived_at: AwareDatetime | None = None


class EndLine(_Line):
    type: Literal["end"]
    conversations: int
    messages: int


ImportLine = Annotated[
    HeaderLine | ConversationLine | MessageLine | EndLine, Field(discriminator="type")
]
