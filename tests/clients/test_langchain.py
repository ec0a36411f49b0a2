"""The LangChain extra (memory_mesh_client.langchain) against a real server."""

from __future__ import annotations

import pytest
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage, ToolMessage

from memory_mesh_client import AsyncMemoryMesh, MemoryMesh
from memory_mesh_client.langchain import MemoryMeshChatMessageHistory, MemoryMeshRetriever
from tests.clients.conftest import Account

pytestmark = pytest.mark.e2e


def test_chat_history_stores_reads_back_and_clears(account: Account) -> None:
    with MemoryMesh(account.url, api_key=account.key) as mm:
        conversation = mm.create_conversation("langchain")
        history = MemoryMeshChatMessageHistory(mm, conversation.id)
        history.add_messages(
            [
                SystemMessage("You are terse."),
                HumanMessage("My dog is called Rex."),
                AIMessage("Noted: Rex."),
                ToolMessage("42", tool_call_id="call-1"),
            ]
        )
        history.add_user_message("What is my dog called?")
        read = history.messages
        assert [type(m) for m in read] == [
            SystemMessage,
            HumanMessage,
            AIMessage,
            ToolMessage,
            HumanMessage,
        ]
        assert read[1].content == "My dog is called Rex."
        assert isinstance(read[3], ToolMessage) and read[3].tool_call_id == "call-1"
        assert [m.role for m in mm.iter_messages(conversation.id)] == [
            "system",
            "user",
            "assistant",
            "tool",
            "user",
        ]

        history.clear()
        assert history.messages == []
        assert mm.get_conversation(conversation.id).title == "langchain"  # kept


async def test_chat_history_async_methods_use_the_async_client(account: Account) -> None:
    with MemoryMesh(account.url, api_key=account.key) as mm:
        conversation = mm.create_conversation()
        async with AsyncMemoryMesh(account.url, api_key=account.key) as amm:
            history = MemoryMeshChatMessageHistory(mm, conversation.id, async_client=amm)
            await history.aadd_messages([HumanMessage("hello"), AIMessage("hi there")])
            assert [m.content for m in await history.aget_messages()] == ["hello", "hi there"]
            await history.aclear()
            assert await history.aget_messages() == []


async def test_retriever_returns_documents_best_first_with_score_parts(account: Account) -> None:
    with MemoryMesh(account.url, api_key=account.key) as mm:
        conversation = mm.create_conversation()
        peanuts = mm.add_message(conversation.id, "I am allergic to peanuts")
        mm.add_message(conversation.id, "The train leaves at nine")
        retriever = MemoryMeshRetriever(client=mm, top_k=1, conversation=str(conversation.id))
        documents = retriever.invoke("what food should I avoid?")
        assert [d.page_content for d in documents] == ["I am allergic to peanuts"]
        assert documents[0].metadata["message_id"] == str(peanuts.id)
        assert documents[0].metadata["scores"]["similarity"] > 0
        async with AsyncMemoryMesh(account.url, api_key=account.key) as amm:
            async_retriever = MemoryMeshRetriever(client=mm, async_client=amm, top_k=1)
            found = await async_retriever.ainvoke("when does the train leave?")
        assert [d.page_content for d in found] == ["The train leaves at nine"]
