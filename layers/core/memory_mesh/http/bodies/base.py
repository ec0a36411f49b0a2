"""What every area's bodies share: the tenant and conversation fields, free metadata, and
:class:`Strict`, the base of every request body."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from memory_mesh.domain.conversation_ref import EXTERNAL_ID_PATTERN, REF_DESCRIPTION
from memory_mesh.domain.identity import TENANT_ID_PATTERN
from memory_mesh.domain.validation import check_text
from memory_mesh.errors import InvalidInput

TenantId = Annotated[
    str,
    StringConstraints(pattern=TENANT_ID_PATTERN),
    Field(
        description="Tenant the data belongs to: 1-128 letters, digits, '_', '.', ':' or '-'. "
        "May be left out when the credential holds one tenant (an API key always does).",
        examples=["acme"],
    ),
]
# a conversation as a request names it; both forms fit the pattern, the service tells them
# apart (domain/conversation_ref.py)
ConversationRefField = Annotated[
    str,
    StringConstraints(pattern=EXTERNAL_ID_PATTERN),
    Field(description=REF_DESCRIPTION, examples=["user-123"]),
]
ExternalId = Annotated[
    str,
    StringConstraints(pattern=EXTERNAL_ID_PATTERN),
    Field(
        description="Your own id for the conversation: 1-128 letters, digits, '.', '_', ':', "
        "'@' or '-', starting with a letter or digit, not UUID-shaped; unique in the "
        "tenant, fixed once set.",
        examples=["user-123"],
    ),
]
CONVERSATION_EXTERNAL_ID = Field(
    None, description="The conversation's external id (your own id for it), if it has one."
)
Metadata = Annotated[
    dict[str, Any],
    Field(description="Free JSON object (size and depth limited).", examples=[{"topic": "travel"}]),
]


# Names other APIs (the seed README, mem0, Zep, SQL habits) use for a field this API
# calls otherwise; an unknown field in the left column is answered with the right one
# when the request has that field.
FIELD_INSTEAD: dict[str, str] = {
    "limit": "top_k",
    "k": "top_k",
    "text": "content",
    "message": "content",
    "importance_score": "importance",
    "session_id": "conversation_id",
    "thread_id": "conversation_id",
    "name": "title",
    "tenant": "tenant_id",
    "messages": "items",
    "message_ids": "ids",
    "threshold": "min_score",
    "similarity_threshold": "min_score",
    "filters": "metadata",
    "start_date": "created_after",
    "end_date": "created_before",
}


class Strict(BaseModel):
    """A request body: no text may hold a lone surrogate, and an unknown field is a 422
    naming it (and the field to use instead, when :data:`FIELD_INSTEAD` knows one)."""

    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _checked(cls, data: Any) -> Any:
        check_text(data)  # raises InvalidInput (422 invalid_characters), naming the field
        if isinstance(data, dict):
            known = set(cls.model_fields) | {
                f.alias for f in cls.model_fields.values() if f.alias is not None
            }
            for name in data:
                if name in known:
                    continue
                instead = FIELD_INSTEAD.get(str(name))
                hint = (
                    f"use {instead!r} instead"
                    if instead in known
                    else "fields: " + ", ".join(sorted(cls.model_fields))
                )
                problem = f"is not a field of this request; {hint}"
                raise InvalidInput(
                    f"{name}: {problem}",
                    code="validation_error",  # the code extra fields always had
                    details=[{"field": str(name), "problem": problem}],
                )
        return data
