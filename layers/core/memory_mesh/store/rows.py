"""Mapping of database rows to domain records, shared by the repositories."""

from __future__ import annotations

from typing import Any

from memory_mesh.domain.models import Conversation, EmbeddingStatus, Message, Role

MESSAGE_COLUMNS = (
    "m.id, m.tenant_id, m.conversation_id, m.role, m.content, m.metadata, m.importance,"
    " m.importance_explicit, m.created_at, m.updated_at, m.archived, m.embedding_status,"
    " m.embedding_provider, m.embedding_model, m.embedding_dimensions, m.embedding_attempts,"
    " m.embedding_error, m.embedded_at"
)

# the message's conversation's external id, looked up per row (a primary-key probe)
MESSAGE_COLUMNS_WITH_CONVERSATION = (
    MESSAGE_COLUMNS + ", (select c.external_id from conversations c"
    " where c.id = m.conversation_id) as conversation_external_id"
)

CONVERSATION_COLUMNS = (
    "c.id, c.tenant_id, c.external_id, c.title, c.metadata, c.created_at, c.updated_at"
)


def message_from_row(row: dict[str, Any]) -> Message:
    return Message(
        id=row["id"],
        tenant_id=row["tenant_id"],
        conversation_id=row["conversation_id"],
        role=Role(row["role"]),
        content=row["content"],
        metadata=row["metadata"],
        importance=float(row["importance"]),
        importance_explicit=row["importance_explicit"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        archived=row["archived"],
        embedding_status=EmbeddingStatus(row["embedding_status"]),
        embedding_provider=row["embedding_provider"],
        embedding_model=row["embedding_model"],
        embedding_dimensions=row["embedding_dimensions"],
        embedding_attempts=row["embedding_attempts"],
        embedding_error=row["embedding_error"],
        embedded_at=row["embedded_at"],
        # absent from statements that do not look it up (search: the service adds it)
        conversation_external_id=row.get("conversation_external_id"),
    )


def conversation_from_row(row: dict[str, Any]) -> Conversation:
    return Conversation(
        id=row["id"],
        tenant_id=row["tenant_id"],
        external_id=row["external_id"],
        title=row["title"],
        metadata=row["metadata"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )
