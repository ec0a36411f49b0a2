"""Every endpoint the clients use, as a :class:`Call`: one place for paths and bodies.

A conversation is named by a string: its UUID, or (servers that support them) the
client's own id such as ``"user-123"``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any, TypeVar
from urllib.parse import quote
from uuid import UUID

import httpx
from pydantic import BaseModel, TypeAdapter

from memory_mesh_client._core import Call, body
from memory_mesh_client.models import (
    ApiKey,
    BatchResult,
    Conversation,
    ConversationStats,
    DeletedConversation,
    Me,
    Message,
    NewApiKey,
    Page,
    Registered,
    Role,
    SearchMode,
    SearchResult,
    Tokens,
)

M = TypeVar("M", bound=BaseModel)
ConversationRef = str | UUID


def _reader(model: type[M]) -> Any:
    return lambda response: model.model_validate(response.json())


def _nothing(_: httpx.Response) -> None:
    return None


def _seg(value: ConversationRef) -> str:
    return quote(str(value), safe="")


def _tenant(tenant_id: str | None) -> dict[str, Any]:
    return {"tenant_id": tenant_id}


# --- accounts -------------------------------------------------------------------------------


def register(
    email: str, password: str, tenant_id: str | None, username: str | None
) -> Call[Registered]:
    return Call(
        "POST",
        "/v1/auth/register",
        read=_reader(Registered),
        json=body(email=email, password=password, tenant_id=tenant_id, username=username),
        retry="unsent_only",
        authenticated=False,
    )


def login(email: str, password: str) -> Call[Tokens]:
    return Call(
        "POST",
        "/v1/auth/login",
        read=_reader(Tokens),
        json={"email": email, "password": password},
        authenticated=False,
    )


def logout(refresh_token: str) -> Call[None]:
    return Call(
        "POST",
        "/v1/auth/logout",
        read=_nothing,
        json={"refresh_token": refresh_token},
        retry="unsent_only",
        authenticated=False,
    )


def me() -> Call[Me]:
    return Call("GET", "/v1/auth/me", read=_reader(Me))


def create_api_key(
    name: str, scopes: Iterable[str], tenant_id: str | None, expires_in_days: int | None
) -> Call[NewApiKey]:
    return Call(
        "POST",
        "/v1/auth/api-keys",
        read=_reader(NewApiKey),
        json=body(
            name=name, scopes=list(scopes), tenant_id=tenant_id, expires_in_days=expires_in_days
        ),
        retry="unsent_only",  # not idempotent: a second key would be made
    )


def list_api_keys(tenant_id: str | None) -> Call[list[ApiKey]]:
    adapter = TypeAdapter(list[ApiKey])
    return Call(
        "GET",
        "/v1/auth/api-keys",
        read=lambda r: adapter.validate_python(r.json()),
        params=_tenant(tenant_id),
    )


def revoke_api_key(key_id: str | UUID) -> Call[None]:
    return Call("DELETE", f"/v1/auth/api-keys/{key_id}", read=_nothing)


# --- conversations --------------------------------------------------------------------------


def create_conversation(
    tenant_id: str | None,
    title: str | None,
    metadata: Mapping[str, Any] | None,
    id: str | UUID | None,
    external_id: str | None,
) -> Call[Conversation]:
    return Call(
        "POST",
        "/v1/conversations",
        read=_reader(Conversation),
        json=body(
            tenant_id=tenant_id,
            title=title,
            metadata=dict(metadata) if metadata is not None else None,
            id=id,
            external_id=external_id,
        ),
    )


def get_conversation(tenant_id: str | None, conversation: ConversationRef) -> Call[Conversation]:
    return Call(
        "GET",
        f"/v1/conversations/{_seg(conversation)}",
        read=_reader(Conversation),
        params=_tenant(tenant_id),
    )


def update_conversation(
    tenant_id: str | None,
    conversation: ConversationRef,
    title: str | None,
    metadata: Mapping[str, Any] | None,
) -> Call[Conversation]:
    return Call(
        "PUT",
        f"/v1/conversations/{_seg(conversation)}",
        read=_reader(Conversation),
        json=body(
            tenant_id=tenant_id,
            title=title,
            metadata=dict(metadata) if metadata is not None else None,
        ),
    )


def delete_conversation(
    tenant_id: str | None, conversation: ConversationRef
) -> Call[DeletedConversation]:
    return Call(
        "DELETE",
        f"/v1/conversations/{_seg(conversation)}",
        read=_reader(DeletedConversation),
        params=_tenant(tenant_id),
    )


def list_conversations(
    tenant_id: str | None, limit: int, cursor: str | None
) -> Call[Page[Conversation]]:
    return Call(
        "GET",
        "/v1/conversations",
        read=_reader(Page[Conversation]),
        params={"tenant_id": tenant_id, "limit": limit, "cursor": cursor},
    )


def conversation_messages(
    tenant_id: str | None,
    conversation: ConversationRef,
    limit: int,
    cursor: str | None,
    include_archived: bool,
) -> Call[Page[Message]]:
    return Call(
        "GET",
        f"/v1/conversations/{_seg(conversation)}/messages",
        read=_reader(Page[Message]),
        params={
            "tenant_id": tenant_id,
            "limit": limit,
            "cursor": cursor,
            "include_archived": include_archived,
        },
    )


def conversation_stats(
    tenant_id: str | None, conversation: ConversationRef
) -> Call[ConversationStats]:
    return Call(
        "GET",
        f"/v1/conversations/{_seg(conversation)}/stats",
        read=_reader(ConversationStats),
        params=_tenant(tenant_id),
    )


# --- messages -------------------------------------------------------------------------------


def message_body(
    conversation: ConversationRef,
    content: str,
    role: Role,
    metadata: Mapping[str, Any] | None = None,
    importance: float | None = None,
    id: str | UUID | None = None,
    created_at: datetime | None = None,
) -> dict[str, Any]:
    """One message as the API takes it (also an item of :func:`add_messages`)."""
    return body(
        conversation_id=str(conversation),
        role=role,
        content=content,
        metadata=dict(metadata) if metadata is not None else None,
        importance=importance,
        id=id,
        created_at=created_at,
    )


def add_message(tenant_id: str | None, fields: dict[str, Any]) -> Call[Message]:
    return Call(
        "POST", "/v1/messages", read=_reader(Message), json=body(tenant_id=tenant_id) | fields
    )


def add_messages(tenant_id: str | None, items: list[dict[str, Any]]) -> Call[BatchResult]:
    return Call(
        "POST",
        "/v1/messages/batch",
        read=_reader(BatchResult),
        json=body(tenant_id=tenant_id) | {"items": items},
    )


def get_message(tenant_id: str | None, message_id: str | UUID) -> Call[Message]:
    return Call(
        "GET", f"/v1/messages/{message_id}", read=_reader(Message), params=_tenant(tenant_id)
    )


def update_message(
    tenant_id: str | None, message_id: str | UUID, fields: dict[str, Any]
) -> Call[Message]:
    return Call(
        "PUT",
        f"/v1/messages/{message_id}",
        read=_reader(Message),
        json=body(tenant_id=tenant_id) | fields,
    )


def delete_message(tenant_id: str | None, message_id: str | UUID) -> Call[None]:
    return Call("DELETE", f"/v1/messages/{message_id}", read=_nothing, params=_tenant(tenant_id))


def delete_messages(tenant_id: str | None, ids: list[str | UUID]) -> Call[BatchResult]:
    return Call(
        "DELETE",
        "/v1/messages/batch",
        read=_reader(BatchResult),
        json=body(tenant_id=tenant_id) | {"ids": [str(i) for i in ids]},
    )


# --- search ---------------------------------------------------------------------------------


def search_body(
    query: str,
    *,
    top_k: int = 10,
    mode: SearchMode = "hybrid",
    conversation: ConversationRef | None = None,
    role: Role | None = None,
    created_after: datetime | None = None,
    created_before: datetime | None = None,
    metadata: Mapping[str, Any] | None = None,
    min_score: float | None = None,
    include_archived: bool | None = None,
) -> dict[str, Any]:
    return body(
        query=query,
        top_k=top_k,
        mode=mode,
        conversation_id=str(conversation) if conversation is not None else None,
        role=role,
        created_after=created_after,
        created_before=created_before,
        metadata=dict(metadata) if metadata else None,
        min_score=min_score,
        include_archived=include_archived,
    )


def search(tenant_id: str | None, fields: dict[str, Any]) -> Call[SearchResult]:
    # POST: the search is read-only, so its retries need no key; a key is harmless
    return Call(
        "POST",
        "/v1/memory/search",
        read=_reader(SearchResult),
        json=body(tenant_id=tenant_id) | fields,
    )


def health() -> Call[dict[str, Any]]:
    return Call("GET", "/v1/admin/health", read=lambda r: r.json(), authenticated=False)
