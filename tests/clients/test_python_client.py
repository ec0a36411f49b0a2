"""The Python client (clients/python) against a real `memory-mesh serve` process."""

from __future__ import annotations

import asyncio
import threading
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from memory_mesh_client import (
    AsyncMemoryMesh,
    AuthenticationError,
    BadRequest,
    ConnectionFailed,
    MemoryMesh,
    NotFound,
    PermissionDenied,
    RetryPolicy,
    ServiceUnavailable,
)
from memory_mesh_client.models import Tokens
from tests.clients.conftest import PASSWORD, Account
from tests.clients.proxy import Fault, fault_proxy

pytestmark = pytest.mark.e2e

FAST = RetryPolicy(attempts=4, backoff_base=0.05, backoff_max=0.2)


def test_store_read_search_and_delete_round_trip(account: Account) -> None:
    with MemoryMesh(account.url, api_key=account.key) as mm:
        conversation = mm.create_conversation("support chat", metadata={"channel": "web"})
        stored = mm.add_message(conversation.id, "I am allergic to peanuts", metadata={"k": 1})
        assert stored.conversation_id == conversation.id
        assert stored.tenant_id == account.tenant
        assert mm.get_message(stored.id).content == "I am allergic to peanuts"

        found = mm.search("what food should I avoid?", top_k=3)
        assert found.results[0].message.id == stored.id
        scores = found.results[0].scores
        assert 0 < scores.score <= 1 and scores.similarity is not None
        assert scores.vector_rank == 1

        changed = mm.update_message(stored.id, content="I am allergic to shellfish")
        assert changed.content == "I am allergic to shellfish"
        stats = mm.conversation_stats(conversation.id)
        assert stats.message_count == 1 and stats.by_role == {"user": 1}

        mm.delete_message(stored.id)
        with pytest.raises(NotFound) as missing:
            mm.get_message(stored.id)
        assert missing.value.code == "message_not_found"
        assert mm.delete_conversation(conversation.id).deleted_messages == 0


def test_errors_are_typed_with_the_servers_code_message_and_request_id(account: Account) -> None:
    with MemoryMesh(account.url, api_key=account.key) as mm:
        conversation = mm.create_conversation()
        with pytest.raises(BadRequest) as empty:
            mm.add_message(conversation.id, "   ")
        assert empty.value.status == 422
        assert empty.value.code == "content_empty"
        assert "content" in empty.value.message
        assert empty.value.request_id
    with MemoryMesh(account.url, api_key=account.read_key) as reader:
        with pytest.raises(PermissionDenied) as refused:
            reader.add_message(conversation.id, "a read-only key cannot write")
        assert refused.value.code == "insufficient_scope"
    with MemoryMesh(account.url, api_key="mm_not-a-real-key") as stranger:
        with pytest.raises(AuthenticationError) as bad:
            stranger.me()
        assert bad.value.code == "invalid_api_key"


def test_another_tenants_conversation_is_not_found(
    account: Account, other_account: Account
) -> None:
    with MemoryMesh(account.url, api_key=account.key) as mine:
        conversation = mine.create_conversation("private")
        mine.add_message(conversation.id, "secret plans")
    with MemoryMesh(account.url, api_key=other_account.key) as theirs:
        with pytest.raises(NotFound):
            theirs.get_conversation(conversation.id)
        assert theirs.search("secret plans").results == []


def test_iterators_walk_every_cursor_page(account: Account) -> None:
    with MemoryMesh(account.url, api_key=account.key) as mm:
        made = [mm.create_conversation(f"c{i}").id for i in range(7)]
        listed = [c.id for c in mm.iter_conversations(page_size=3)]
        assert listed == list(reversed(made))  # newest first, across three pages
        first = mm.list_conversations(limit=3)
        assert len(first.items) == 3 and first.next_cursor

        conversation = made[0]
        start = datetime.now(UTC) - timedelta(minutes=1)
        batch = mm.add_messages(
            {
                "conversation_id": str(conversation),
                "role": "user",
                "content": f"note {i}",
                "created_at": (start + timedelta(seconds=i)).isoformat(),
            }
            for i in range(5)
        )
        assert batch.succeeded == 5 and batch.failed == 0
        contents = [m.content for m in mm.iter_messages(conversation, page_size=2)]
        assert contents == [f"note {i}" for i in range(5)]


def test_a_write_whose_answer_is_lost_is_retried_and_stored_once(account: Account) -> None:
    with fault_proxy(account.url) as proxy:
        proxy.faults.append(Fault(lambda m, p: (m, p) == ("POST", "/v1/messages"), "lose"))
        with MemoryMesh(proxy.url, api_key=account.key, retry=FAST) as mm:
            conversation = mm.create_conversation("lossy network")
            stored = mm.add_message(conversation.id, "stored exactly once")
            attempts = proxy.requests_to("POST", "/v1/messages")
            assert len(attempts) == 2  # the first answer was lost after the server stored it
            keys = {a.headers["idempotency-key"] for a in attempts}
            assert len(keys) == 1  # the retry carried the same key
            messages = list(mm.iter_messages(conversation.id))
    assert [m.id for m in messages] == [stored.id]


def test_a_batch_whose_answer_is_lost_is_not_stored_twice(account: Account) -> None:
    with fault_proxy(account.url) as proxy:
        proxy.faults.append(Fault(lambda m, p: p == "/v1/messages/batch", "lose"))
        with MemoryMesh(proxy.url, api_key=account.key, retry=FAST) as mm:
            conversation = mm.create_conversation()
            items = [
                {"conversation_id": str(conversation.id), "role": "user", "content": f"item {i}"}
                for i in range(3)
            ]
            assert mm.add_messages(items).succeeded == 3
            assert mm.conversation_stats(conversation.id).message_count == 3


def test_503_and_429_are_retried_honouring_retry_after(account: Account) -> None:
    with fault_proxy(account.url) as proxy:
        proxy.faults += [
            Fault(lambda m, p: p == "/v1/conversations", "answer", times=2, status=503),
            Fault(lambda m, p: p == "/v1/messages", "answer", status=429, retry_after=1),
        ]
        with MemoryMesh(proxy.url, api_key=account.key, retry=FAST) as mm:
            conversation = mm.create_conversation("flaky")
            mm.add_message(conversation.id, "after a rate limit")
            assert len(proxy.requests_to("POST", "/v1/conversations")) == 3
            assert len(proxy.requests_to("POST", "/v1/messages")) == 2
            assert mm.conversation_stats(conversation.id).message_count == 1


def test_retries_give_up_with_the_last_error(account: Account) -> None:
    with fault_proxy(account.url) as proxy:
        proxy.faults.append(Fault(lambda m, p: True, "answer", times=100, status=503))
        with MemoryMesh(proxy.url, api_key=account.key, retry=FAST) as mm:
            with pytest.raises(ServiceUnavailable) as gave_up:
                mm.list_conversations()
            assert gave_up.value.code == "injected"
            assert len(proxy.seen) == FAST.attempts
    nowhere = MemoryMesh("http://127.0.0.1:9", api_key=account.key, retry=FAST)
    with nowhere, pytest.raises(ConnectionFailed):
        nowhere.me()


def test_a_session_refreshes_itself_and_keeps_each_new_refresh_token(account: Account) -> None:
    seen: list[Tokens] = []
    with MemoryMesh.login(account.url, account.email, PASSWORD, on_tokens=seen.append) as mm:
        first = mm.tokens
        assert first is not None
        # access tokens live 30 s here, inside the refresh margin: every call refreshes
        for _ in range(3):
            conversation = mm.create_conversation("session")
        assert len(seen) == 3
        refresh_tokens = [first.refresh_token, *(t.refresh_token for t in seen)]
        assert len(set(refresh_tokens)) == 4  # rotated each time, the newest kept
        assert mm.get_conversation(conversation.id).title == "session"
        # the server revokes a session whose spent refresh token comes back: it did not
        with httpx.Client(base_url=account.url) as http:
            reused = http.post("/v1/auth/refresh", json={"refresh_token": first.refresh_token})
        assert reused.status_code == 401
        with pytest.raises(AuthenticationError):
            mm.me()  # ...so now the session is gone, as the server documents


def test_a_401_with_a_stale_access_token_refreshes_once_and_retries(account: Account) -> None:
    with httpx.Client(base_url=account.url) as http:
        login = http.post("/v1/auth/login", json={"email": account.email, "password": PASSWORD})
    tokens = Tokens.model_validate(login.json())
    far = tokens.refresh_expires_at
    stale = tokens.model_copy(update={"access_token": "not.a.token", "access_expires_at": far})
    with MemoryMesh(account.url, tokens=stale) as mm:
        assert mm.me().email == account.email
        assert mm.tokens is not None and mm.tokens.refresh_token != tokens.refresh_token


def test_concurrent_calls_refresh_a_session_once(account: Account) -> None:
    with MemoryMesh.login(account.url, account.email, PASSWORD) as mm:
        errors: list[BaseException] = []

        def work() -> None:
            try:
                mm.list_conversations(limit=1)
            except BaseException as exc:  # collected for the assertion below
                errors.append(exc)

        threads = [threading.Thread(target=work) for _ in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []
        assert mm.me().email == account.email  # the session survived: no token reused


async def test_async_client_does_the_same_over_asyncio(account: Account) -> None:
    async with AsyncMemoryMesh(account.url, api_key=account.key) as mm:
        conversation = await mm.create_conversation("async")
        stored = await asyncio.gather(
            *(mm.add_message(conversation.id, f"fact number {i}") for i in range(4))
        )
        assert len({m.id for m in stored}) == 4
        listed = [m.id async for m in mm.iter_messages(conversation.id, page_size=3)]
        assert sorted(listed) == sorted(m.id for m in stored)
        found = await mm.search("fact number 2", mode="keyword", conversation=conversation.id)
        assert found.results and found.mode == "keyword"
        with pytest.raises(NotFound):
            await mm.get_conversation(uuid.uuid4())


async def test_async_session_login_and_lost_answer_retry(account: Account) -> None:
    with fault_proxy(account.url) as proxy:
        proxy.faults.append(Fault(lambda m, p: p == "/v1/conversations", "lose"))
        refreshed: list[Tokens] = []
        mm = await AsyncMemoryMesh.login(
            proxy.url, account.email, PASSWORD, retry=FAST, on_tokens=refreshed.append
        )
        async with mm:
            made = await mm.create_conversation("once")
            ids = [c.id async for c in mm.iter_conversations()]
            assert ids.count(made.id) == 1 and len(ids) == 1
            # every call finds the token expiring; one refresh serves them all (a second
            # refresh with the spent token would revoke the session)
            before = len(refreshed)
            pages = await asyncio.gather(*(mm.list_conversations() for _ in range(6)))
            assert all(p.items[0].id == made.id for p in pages)
            assert len(refreshed) == before + 1
            assert (await mm.me()).email == account.email


async def test_live_events_and_streaming_search_over_websockets(account: Account) -> None:
    async with AsyncMemoryMesh(account.url, api_key=account.key) as mm:
        conversation = await mm.create_conversation("live")
        events = mm.subscribe(conversation.id)
        first = asyncio.ensure_future(anext(events))
        await asyncio.sleep(0.5)  # let the subscription open before the write
        stored = await mm.add_message(conversation.id, "my favourite colour is green")
        async with asyncio.timeout(30):
            event = await first
            while event.type != "message.created":
                event = await anext(events)
        assert event.message is not None and event.message.id == stored.id
        await events.aclose()

        hits = [hit async for hit in mm.stream_search("which colour do I like?", top_k=2)]
        assert hits and hits[0].message.id == stored.id


def test_sync_websockets_and_a_refused_tenant(account: Account, other_account: Account) -> None:
    with MemoryMesh(account.url, api_key=account.key) as mm:
        conversation = mm.create_conversation("sync live")
        stored = mm.add_message(conversation.id, "the meeting moved to Thursday")
        hits = list(mm.stream_search("when is the meeting?", top_k=1))
        assert [h.message.id for h in hits] == [stored.id]
    with MemoryMesh(account.url, api_key=other_account.key, tenant_id=account.tenant) as intruder:
        with pytest.raises(PermissionDenied) as refused:
            next(intruder.subscribe())
        assert refused.value.code == "tenant_forbidden"


def test_register_with_a_username_and_sign_in_with_it(server_url: str) -> None:
    name = f"u{uuid.uuid4().hex[:10]}"
    with MemoryMesh(server_url) as anonymous:
        made = anonymous.register(f"{name}@example.com", PASSWORD, username=name)
    with MemoryMesh.login(server_url, name, PASSWORD) as mm:
        me = mm.me()
        assert (me.username, me.email) == (name, f"{name}@example.com")
        assert [t.tenant_id for t in me.tenants] == [made.tenant_id]


def test_a_conversation_named_by_the_clients_own_id(account: Account) -> None:
    with MemoryMesh(account.url, api_key=account.key) as mm:
        first = mm.add_message("user-123", "I live in Lyon")
        mm.add_message("user-123", "I work nights")
        assert first.conversation_external_id == "user-123"
        contents = [m.content for m in mm.iter_messages("user-123")]
        assert contents == ["I live in Lyon", "I work nights"]
        assert mm.get_conversation("user-123").id == first.conversation_id
        assert mm.conversation_stats("user-123").message_count == 2
        hits = mm.search("where do I live?", conversation="user-123", top_k=1).results
        assert [h.message.id for h in hits] == [first.id]
