"""LangChain glue (``pip install memory-mesh-client[langchain]``).

- :class:`MemoryMeshChatMessageHistory`: a conversation's messages as LangChain chat
  history (``RunnableWithMessageHistory``'s ``get_session_history``).
- :class:`MemoryMeshRetriever`: search as a retriever; each hit is a ``Document`` whose
  metadata carries the message's ids, role, time and score parts.

Both take a :class:`MemoryMesh` client and, for the ``a*`` methods without a thread pool,
an :class:`AsyncMemoryMesh` too.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from langchain_core.callbacks import (
    AsyncCallbackManagerForRetrieverRun,
    CallbackManagerForRetrieverRun,
)
from langchain_core.chat_history import BaseChatMessageHistory
from langchain_core.documents import Document
from langchain_core.messages import (
    AIMessage,
    BaseMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
)
from langchain_core.retrievers import BaseRetriever

from memory_mesh_client._calls import message_body
from memory_mesh_client.async_client import AsyncMemoryMesh
from memory_mesh_client.client import MemoryMesh
from memory_mesh_client.models import Message, Role, SearchHit, SearchMode

_ROLE_OF: dict[str, Role] = {"human": "user", "ai": "assistant", "system": "system", "tool": "tool"}


def _items(conversation: str | UUID, messages: Sequence[BaseMessage]) -> list[dict[str, Any]]:
    """The batch items, timed a microsecond apart: one batch is stored in one statement at
    one server time, and the history must read back in the order it was written."""
    start = datetime.now(UTC)
    return [
        _to_item(conversation, m) | {"created_at": (start + timedelta(microseconds=i)).isoformat()}
        for i, m in enumerate(messages)
    ]


def _to_item(conversation: str | UUID, message: BaseMessage) -> dict[str, Any]:
    content = message.content if isinstance(message.content, str) else message.text
    metadata: dict[str, Any] = {"langchain_type": message.type}
    if isinstance(message, ToolMessage):
        metadata["tool_call_id"] = message.tool_call_id
    if message.name:
        metadata["name"] = message.name
    return message_body(conversation, content, _ROLE_OF.get(message.type, "user"), metadata)


def _from_message(m: Message) -> BaseMessage:
    name = m.metadata.get("name")
    extra: dict[str, Any] = {"id": str(m.id)} | ({"name": name} if name else {})
    if m.role == "assistant":
        return AIMessage(content=m.content, **extra)
    if m.role == "system":
        return SystemMessage(content=m.content, **extra)
    if m.role == "tool":
        return ToolMessage(
            content=m.content, tool_call_id=str(m.metadata.get("tool_call_id", "")), **extra
        )
    return HumanMessage(content=m.content, **extra)


class MemoryMeshChatMessageHistory(BaseChatMessageHistory):
    """The messages of one Memory Mesh conversation (named by its id, or by the client's
    own id on servers that support them), oldest first."""

    def __init__(
        self,
        client: MemoryMesh,
        conversation: str | UUID,
        *,
        async_client: AsyncMemoryMesh | None = None,
    ) -> None:
        self.client = client
        self.async_client = async_client
        self.conversation = conversation

    @property
    def messages(self) -> list[BaseMessage]:  # type: ignore[override]
        return [_from_message(m) for m in self.client.iter_messages(self.conversation)]

    async def aget_messages(self) -> list[BaseMessage]:
        if self.async_client is None:
            return await super().aget_messages()
        found = [m async for m in self.async_client.iter_messages(self.conversation)]
        return [_from_message(m) for m in found]

    def add_messages(self, messages: Sequence[BaseMessage]) -> None:
        if messages:
            self.client.add_messages(_items(self.conversation, messages))

    async def aadd_messages(self, messages: Sequence[BaseMessage]) -> None:
        if self.async_client is None:
            await super().aadd_messages(messages)
        elif messages:
            await self.async_client.add_messages(_items(self.conversation, messages))

    def clear(self) -> None:
        """Delete the conversation's messages (the conversation itself stays)."""
        ids = [m.id for m in self.client.iter_messages(self.conversation, include_archived=True)]
        for start in range(0, len(ids), 100):
            self.client.delete_messages(ids[start : start + 100])

    async def aclear(self) -> None:
        if self.async_client is None:
            await super().aclear()
            return
        client = self.async_client
        ids = [m.id async for m in client.iter_messages(self.conversation, include_archived=True)]
        for start in range(0, len(ids), 100):
            await client.delete_messages(ids[start : start + 100])


def _document(hit: SearchHit) -> Document:
    m = hit.message
    return Document(
        page_content=m.content,
        id=str(m.id),
        metadata={
            "message_id": str(m.id),
            "conversation_id": str(m.conversation_id),
            "conversation_external_id": m.conversation_external_id,
            "role": m.role,
            "created_at": m.created_at.isoformat(),
            "metadata": m.metadata,
            "score": hit.scores.score,
            "scores": hit.scores.model_dump(),
        },
    )


class MemoryMeshRetriever(BaseRetriever):
    """Memory Mesh search as a LangChain retriever (best first, with score parts)."""

    client: MemoryMesh
    async_client: AsyncMemoryMesh | None = None
    top_k: int = 4
    mode: SearchMode = "hybrid"
    conversation: str | UUID | None = None
    role: Role | None = None
    metadata_filter: dict[str, Any] | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None
    min_score: float | None = None

    def _filters(self) -> dict[str, Any]:
        return {
            "top_k": self.top_k,
            "mode": self.mode,
            "conversation": self.conversation,
            "role": self.role,
            "metadata": self.metadata_filter,
            "created_after": self.created_after,
            "created_before": self.created_before,
            "min_score": self.min_score,
        }

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun
    ) -> list[Document]:
        return [_document(hit) for hit in self.client.search(query, **self._filters()).results]

    async def _aget_relevant_documents(
        self, query: str, *, run_manager: AsyncCallbackManagerForRetrieverRun
    ) -> list[Document]:
        if self.async_client is None:
            return await super()._aget_relevant_documents(query, run_manager=run_manager)
        found = await self.async_client.search(query, **self._filters())
        return [_document(hit) for hit in found.results]
