"""Request and response bodies of the HTTP API (also the OpenAPI document's schemas), all
in one namespace for the local server, the OpenAPI document and other callers.

Each area's bodies live in :mod:`memory_mesh.http.bodies` (one module per area), so that a
Lambda function, which serves one area, builds only that area's models; the routers import
from there."""

from __future__ import annotations

from memory_mesh.http.bodies.admin import (
    CheckOut,
    HealthOut,
    ReadinessOut,
    ReplayOut,
)
from memory_mesh.http.bodies.base import (
    CONVERSATION_EXTERNAL_ID,
    FIELD_INSTEAD,
    ConversationRefField,
    ExternalId,
    Metadata,
    Strict,
    TenantId,
)
from memory_mesh.http.bodies.conversations import (
    ConversationCreate,
    ConversationOut,
    ConversationPage,
    ConversationStats,
    ConversationUpdate,
    DeletedConversation,
    MessagePage,
)
from memory_mesh.http.bodies.errors import (
    ErrorBody,
    ErrorDetail,
)
from memory_mesh.http.bodies.messages import (
    BatchItemOut,
    BatchOut,
    EmbeddingOut,
    ItemError,
    MessageBatchCreate,
    MessageBatchDelete,
    MessageBatchItem,
    MessageBatchUpdate,
    MessageBatchUpdateItem,
    MessageCreate,
    MessageOut,
    MessageUpdate,
)
from memory_mesh.http.bodies.search import (
    ScoresOut,
    SearchHitOut,
    SearchOut,
    SearchRequest,
)

__all__ = [
    "CONVERSATION_EXTERNAL_ID",
    "FIELD_INSTEAD",
    "BatchItemOut",
    "BatchOut",
    "CheckOut",
    "ConversationCreate",
    "ConversationOut",
    "ConversationPage",
    "ConversationRefField",
    "ConversationStats",
    "ConversationUpdate",
    "DeletedConversation",
    "EmbeddingOut",
    "ErrorBody",
    "ErrorDetail",
    "ExternalId",
    "HealthOut",
    "ItemError",
    "MessageBatchCreate",
    "MessageBatchDelete",
    "MessageBatchItem",
    "MessageBatchUpdate",
    "MessageBatchUpdateItem",
    "MessageCreate",
    "MessageOut",
    "MessagePage",
    "MessageUpdate",
    "Metadata",
    "ReadinessOut",
    "ReplayOut",
    "ScoresOut",
    "SearchHitOut",
    "SearchOut",
    "SearchRequest",
    "Strict",
    "TenantId",
]
