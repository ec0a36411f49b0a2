"""The MCP tools: remember, recall, forget, list_conversations, conversation_stats.

One definition for both transports: each tool asks ``connect(ctx)`` for the caller's
:class:`MemoryApi` and makes ordinary API calls with it. A refused call (a read-only key
remembering, another tenant's id, a rate limit) is a tool error naming the API's code.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Annotated, Any, Literal

from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import Field

from memory_mesh import __version__
from memory_mesh.mcp.api import ApiError, MemoryApi

Connect = Callable[[Context], AbstractAsyncContextManager[MemoryApi]]
RoleName = Literal["user", "assistant", "system", "tool"]
DEFAULT_CONVERSATION = "mcp"

# the parameters as the agent sees them (the input schema's descriptions)
Content = Annotated[str, Field(description="The text to remember, in a sentence or two.")]
ConversationName = Annotated[
    str | None,
    Field(
        description="A conversation: a name of your own (letters, digits, '.', '_', ':', '@' "
        "or '-', e.g. a project or a user) or its id."
    ),
]
Role = Annotated[RoleName, Field(description="Who said it.")]
RoleFilter = Annotated[RoleName | None, Field(description="Only messages of this role.")]
MetadataIn = Annotated[
    dict[str, Any] | None, Field(description="Free JSON object stored with the message.")
]
MetadataFilter = Annotated[
    dict[str, Any] | None,
    Field(description='Only messages whose metadata contains this, e.g. {"topic": "travel"}.'),
]
Importance = Annotated[
    float | None, Field(description="0..1; computed from the role and content when absent.")
]
Query = Annotated[str, Field(description="What to look for, in natural language.")]
TopK = Annotated[int, Field(description="How many results (1..100).")]
Mode = Annotated[
    Literal["hybrid", "vector", "keyword"],
    Field(description="hybrid (meaning and keywords), vector (meaning) or keyword."),
]
Time = Annotated[str | None, Field(description="ISO 8601 time with a zone.")]
MinScore = Annotated[float, Field(description="Drop results scoring below this (0..1).")]
MessageId = Annotated[str | None, Field(description="The id of a message (from recall).")]

INSTRUCTIONS = (
    "Memory Mesh is a long-term memory. Call `remember` with facts, preferences and "
    "decisions worth keeping (optionally in a named conversation), and `recall` with a "
    "question before answering: it returns the stored messages that matter, best first, "
    "each with its score parts. `forget` deletes a message or a whole conversation."
)


def _message(m: dict[str, Any]) -> dict[str, Any]:
    return {
        "message_id": m["id"],
        "conversation_id": m["conversation_id"],
        "conversation": m.get("conversation_external_id"),
        "role": m["role"],
        "content": m["content"],
        "created_at": m["created_at"],
        "metadata": m["metadata"],
        "importance": m["importance"],
    }


def build_server(connect: Connect) -> MCPServer:
    """An MCP server whose tools act through the API that ``connect`` opens per call."""
    server: MCPServer = MCPServer(
        "memory-mesh", instructions=INSTRUCTIONS, version=__version__, log_level="WARNING"
    )

    async def call(ctx: Context, work: Callable[[MemoryApi], Any]) -> dict[str, Any]:
        try:
            async with connect(ctx) as api:
                result: dict[str, Any] = await work(api)
                return result
        except ApiError as exc:
            raise ToolError(str(exc)) from None

    @server.tool(
        description="Store a message in long-term memory. `conversation` names where it "
        f"belongs (any name, e.g. a project or a user; default {DEFAULT_CONVERSATION!r}, or a "
        "conversation id). Returns the stored message's id."
    )
    async def remember(
        content: Content,
        ctx: Context,
        conversation: ConversationName = None,
        role: Role = "user",
        metadata: MetadataIn = None,
        importance: Importance = None,
    ) -> dict[str, Any]:
        async def work(api: MemoryApi) -> dict[str, Any]:
            conversation_id = api.conversation_ref(conversation or DEFAULT_CONVERSATION)
            body: dict[str, Any] = {
                "conversation_id": conversation_id,
                "role": role,
                "content": content,
                "metadata": metadata or {},
            }
            if importance is not None:
                body["importance"] = importance
            stored = await api.request("POST", "/v1/messages", json=body)
            return {**_message(stored), "embedding": stored["embedding"]["status"]}

        return await call(ctx, work)

    @server.tool(
        description="Search long-term memory by meaning (and keywords): the stored messages "
        "that matter for `query`, best first, each with its score and score parts "
        "(relevance, similarity, keyword, importance, recency). Filters: conversation, role, "
        "created_after / created_before (ISO 8601 with a zone), metadata (contained), "
        "min_score."
    )
    async def recall(
        query: Query,
        ctx: Context,
        top_k: TopK = 5,
        mode: Mode = "hybrid",
        conversation: ConversationName = None,
        role: RoleFilter = None,
        created_after: Time = None,
        created_before: Time = None,
        metadata: MetadataFilter = None,
        min_score: MinScore = 0.0,
    ) -> dict[str, Any]:
        async def work(api: MemoryApi) -> dict[str, Any]:
            body = {
                "query": query,
                "top_k": top_k,
                "mode": mode,
                "conversation_id": api.conversation_ref(conversation) if conversation else None,
                "role": role,
                "created_after": created_after,
                "created_before": created_before,
                "metadata": metadata or {},
                "min_score": min_score,
            }
            found = await api.request(
                "POST", "/v1/memory/search", json={k: v for k, v in body.items() if v is not None}
            )
            return {
                "mode": found["mode"],
                "degraded": found["degraded"],
                "results": [
                    {
                        **_message(hit["message"]),
                        "score": hit["scores"]["score"],
                        "scores": hit["scores"],
                    }
                    for hit in found["results"]
                ],
            }

        return await call(ctx, work)

    @server.tool(
        description="Delete from long-term memory: one message (`message_id`) or a whole "
        "conversation with its messages (`conversation`). Needs a key with the write scope."
    )
    async def forget(
        ctx: Context, message_id: MessageId = None, conversation: ConversationName = None
    ) -> dict[str, Any]:
        if (message_id is None) == (conversation is None):
            raise ToolError("give exactly one of message_id and conversation")

        async def work(api: MemoryApi) -> dict[str, Any]:
            if message_id is not None:
                await api.request("DELETE", f"/v1/messages/{message_id}")
                return {"deleted_message": message_id}
            assert conversation is not None
            target = api.conversation_ref(conversation)
            gone = await api.request("DELETE", f"/v1/conversations/{target}")
            return {
                "deleted_conversation": gone["id"],
                "deleted_messages": gone["deleted_messages"],
            }

        return await call(ctx, work)

    @server.tool(
        description="List the conversations in memory, newest first (pass `cursor` from the "
        "previous answer for more)."
    )
    async def list_conversations(
        ctx: Context,
        limit: Annotated[int, Field(description="Page size (1..100).")] = 20,
        cursor: Annotated[str | None, Field(description="`next_cursor` of the last page.")] = None,
    ) -> dict[str, Any]:
        async def work(api: MemoryApi) -> dict[str, Any]:
            params: dict[str, Any] = {"limit": limit}
            if cursor:
                params["cursor"] = cursor
            page = await api.request("GET", "/v1/conversations", params=params)
            return {
                "conversations": [
                    {
                        "conversation_id": c["id"],
                        "name": c.get("external_id"),
                        "title": c["title"],
                        "created_at": c["created_at"],
                        "updated_at": c["updated_at"],
                    }
                    for c in page["items"]
                ],
                "next_cursor": page["next_cursor"],
            }

        return await call(ctx, work)

    @server.tool(
        description="A conversation's figures: message counts by role, first and last "
        "message times, mean importance, embedding coverage."
    )
    async def conversation_stats(
        conversation: Annotated[str, Field(description="Its name or id.")], ctx: Context
    ) -> dict[str, Any]:
        async def work(api: MemoryApi) -> dict[str, Any]:
            target = api.conversation_ref(conversation)
            stats: dict[str, Any] = await api.request("GET", f"/v1/conversations/{target}/stats")
            return stats

        return await call(ctx, work)

    return server
