"""The synchronous client: :class:`MemoryMesh`."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from typing import Any, TypeVar
from uuid import UUID

import httpx
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from memory_mesh_client import _calls as calls
from memory_mesh_client import _realtime as rt
from memory_mesh_client._core import (
    NOT_SENT,
    ApiKeyAuth,
    Auth,
    Call,
    RetryPolicy,
    SessionAuth,
    body,
    merge_headers,
)
from memory_mesh_client.errors import ConnectionFailed, MemoryMeshError, error_from_response
from memory_mesh_client.models import (
    ApiKey,
    BatchResult,
    Conversation,
    ConversationStats,
    DeletedConversation,
    Event,
    Me,
    Message,
    NewApiKey,
    Page,
    Registered,
    Role,
    SearchHit,
    SearchMode,
    SearchResult,
    Tokens,
)

T = TypeVar("T")
DEFAULT_TIMEOUT = 30.0


class MemoryMesh:
    """A Memory Mesh server, over HTTP.

    ``MemoryMesh(url, api_key="mm_...")`` for an API key; :meth:`login` for a user
    session (refreshed by itself). ``tenant_id`` is needed only by a user holding several
    tenants. Every write carries an ``Idempotency-Key``, so the automatic retries (429
    after ``Retry-After``, 503 and lost connections with backoff) never store twice.
    Errors raise :class:`~memory_mesh_client.errors.MemoryMeshError` subclasses.
    """

    def __init__(
        self,
        base_url: str = "http://127.0.0.1:8000",
        api_key: str | None = None,
        *,
        tokens: Tokens | None = None,
        on_tokens: Callable[[Tokens], None] | None = None,
        tenant_id: str | None = None,
        retry: RetryPolicy | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        http: httpx.Client | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.tenant_id = tenant_id
        self.retry = retry or RetryPolicy()
        self._auth: Auth | None = (
            ApiKeyAuth(api_key)
            if api_key
            else SessionAuth(tokens, on_tokens)
            if tokens is not None
            else None
        )
        self._http = http or httpx.Client(base_url=self.base_url, timeout=timeout)
        self._refresh_lock = threading.Lock()

    @classmethod
    def login(
        cls,
        base_url: str,
        email: str,
        password: str,
        **options: Any,
    ) -> MemoryMesh:
        """Sign in as a user (``email`` may be the username); the session's tokens are
        refreshed as they expire."""
        client = cls(base_url, **options)
        client._auth = SessionAuth(
            client._send(calls.login(email, password)), options.get("on_tokens")
        )
        return client

    # --- plumbing ---------------------------------------------------------------------------

    def __enter__(self) -> MemoryMesh:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    @property
    def tokens(self) -> Tokens | None:
        """The current session tokens (None with an API key)."""
        return self._auth.tokens if isinstance(self._auth, SessionAuth) else None

    def _auth_headers(self) -> dict[str, str]:
        if self._auth is None:
            raise MemoryMeshError(
                "no credential: pass api_key=, tokens=, or use MemoryMesh.login()",
                code="not_authenticated",
            )
        if isinstance(self._auth, SessionAuth) and self._auth.expiring():
            self._refresh(self._auth.tokens.access_token)
        return self._auth.headers()

    def _refresh(self, used_token: str) -> None:
        """Trade the refresh token for a new pair, once even when threads race here."""
        auth = self._auth
        assert isinstance(auth, SessionAuth)
        with self._refresh_lock:
            if auth.tokens.access_token != used_token:
                return  # another thread refreshed already
            auth.replace(self._send(auth.refresh_call()))

    def _send(self, call: Call[T]) -> T:
        attempt, refreshed = 0, False
        while True:
            attempt += 1
            headers = merge_headers(
                self._auth_headers() if call.authenticated else {}, call.headers
            )
            try:
                response = self._http.request(
                    call.method, call.path, params=call.params, json=call.json, headers=headers
                )
            except httpx.TransportError as exc:
                delay = self.retry.delay(attempt, None)
                if delay is None or (call.retry == "unsent_only" and not isinstance(exc, NOT_SENT)):
                    raise ConnectionFailed(
                        str(exc) or type(exc).__name__, code="connection_failed"
                    ) from exc
                time.sleep(delay)
                continue
            if response.is_success:
                return call.read(response)
            if (
                response.status_code == 401
                and call.authenticated
                and isinstance(self._auth, SessionAuth)
                and not refreshed
            ):
                refreshed = True
                attempt -= 1
                self._refresh(headers["authorization"].removeprefix("Bearer "))
                continue
            delay = self.retry.delay(attempt, response)
            if delay is None or (call.retry == "unsent_only" and response.status_code != 429):
                raise error_from_response(response)
            time.sleep(delay)

    def _pages(self, fetch: Callable[[str | None], Page[T]]) -> Iterator[T]:
        cursor: str | None = None
        while True:
            page = fetch(cursor)
            yield from page.items
            if not page.next_cursor:
                return
            cursor = page.next_cursor

    # --- accounts ---------------------------------------------------------------------------

    def register(
        self,
        email: str,
        password: str,
        tenant_id: str | None = None,
        *,
        username: str | None = None,
    ) -> Registered:
        """Create an account administering a new tenant (``tenant_id``, or a made-up one);
        it signs in with the email or the ``username``."""
        return self._send(calls.register(email, password, tenant_id, username))

    def logout(self) -> None:
        """Revoke this session (its refresh token and every token refreshed from it)."""
        if isinstance(self._auth, SessionAuth) and self._auth.tokens.refresh_token:
            self._send(calls.logout(self._auth.tokens.refresh_token))

    def me(self) -> Me:
        return self._send(calls.me())

    def create_api_key(
        self,
        name: str,
        scopes: Iterable[str] = ("read", "write"),
        *,
        expires_in_days: int | None = None,
    ) -> NewApiKey:
        """A new API key of the tenant (tenant admins); ``.key`` is shown this once."""
        return self._send(calls.create_api_key(name, scopes, self.tenant_id, expires_in_days))

    def list_api_keys(self) -> list[ApiKey]:
        return self._send(calls.list_api_keys(self.tenant_id))

    def revoke_api_key(self, key_id: str | UUID) -> None:
        self._send(calls.revoke_api_key(key_id))

    def health(self) -> dict[str, Any]:
        return self._send(calls.health())

    # --- conversations ----------------------------------------------------------------------

    def create_conversation(
        self,
        title: str | None = None,
        *,
        metadata: Mapping[str, Any] | None = None,
        id: str | UUID | None = None,
        external_id: str | None = None,
    ) -> Conversation:
        return self._send(
            calls.create_conversation(self.tenant_id, title, metadata, id, external_id)
        )

    def get_conversation(self, conversation: str | UUID) -> Conversation:
        return self._send(calls.get_conversation(self.tenant_id, conversation))

    def update_conversation(
        self,
        conversation: str | UUID,
        *,
        title: str | None = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> Conversation:
        return self._send(calls.update_conversation(self.tenant_id, conversation, title, metadata))

    def delete_conversation(self, conversation: str | UUID) -> DeletedConversation:
        """Delete a conversation and its messages."""
        return self._send(calls.delete_conversation(self.tenant_id, conversation))

    def list_conversations(
        self, *, limit: int = 50, cursor: str | None = None
    ) -> Page[Conversation]:
        """One page, newest first; pass ``next_cursor`` back for the next one."""
        return self._send(calls.list_conversations(self.tenant_id, limit, cursor))

    def iter_conversations(self, *, page_size: int = 50) -> Iterator[Conversation]:
        """Every conversation, newest first, fetched a page at a time."""
        return self._pages(lambda cursor: self.list_conversations(limit=page_size, cursor=cursor))

    def list_messages(
        self,
        conversation: str | UUID,
        *,
        limit: int = 50,
        cursor: str | None = None,
        include_archived: bool = False,
    ) -> Page[Message]:
        return self._send(
            calls.conversation_messages(
                self.tenant_id, conversation, limit, cursor, include_archived
            )
        )

    def iter_messages(
        self, conversation: str | UUID, *, page_size: int = 50, include_archived: bool = False
    ) -> Iterator[Message]:
        """A conversation's messages in reading order, fetched a page at a time."""
        return self._pages(
            lambda cursor: self.list_messages(
                conversation, limit=page_size, cursor=cursor, include_archived=include_archived
            )
        )

    def conversation_stats(self, conversation: str | UUID) -> ConversationStats:
        return self._send(calls.conversation_stats(self.tenant_id, conversation))

    # --- messages ---------------------------------------------------------------------------

    def add_message(
        self,
        conversation: str | UUID,
        content: str,
        role: Role = "user",
        *,
        metadata: Mapping[str, Any] | None = None,
        importance: float | None = None,
        id: str | UUID | None = None,
        created_at: datetime | None = None,
    ) -> Message:
        """Store a message (embedded inline or in the background, as the server runs)."""
        fields = calls.message_body(
            conversation, content, role, metadata, importance, id, created_at
        )
        return self._send(calls.add_message(self.tenant_id, fields))

    def add_messages(self, items: Iterable[Mapping[str, Any]]) -> BatchResult:
        """Store many in one request; each item as :func:`message_body` makes it (or the same
        keys: ``conversation_id``, ``role``, ``content``, ...). Per-item results."""
        return self._send(calls.add_messages(self.tenant_id, [dict(i) for i in items]))

    def get_message(self, message_id: str | UUID) -> Message:
        return self._send(calls.get_message(self.tenant_id, message_id))

    def update_message(
        self,
        message_id: str | UUID,
        *,
        content: str | None = None,
        role: Role | None = None,
        metadata: Mapping[str, Any] | None = None,
        importance: float | None = None,
        archived: bool | None = None,
    ) -> Message:
        """Change the fields given; new content is re-embedded."""
        fields = body(
            content=content,
            role=role,
            metadata=dict(metadata) if metadata is not None else None,
            importance=importance,
            archived=archived,
        )
        return self._send(calls.update_message(self.tenant_id, message_id, fields))

    def delete_message(self, message_id: str | UUID) -> None:
        self._send(calls.delete_message(self.tenant_id, message_id))

    def delete_messages(self, ids: Iterable[str | UUID]) -> BatchResult:
        """Delete many in one request; per-item results."""
        return self._send(calls.delete_messages(self.tenant_id, list(ids)))

    # --- search -----------------------------------------------------------------------------

    def search(
        self,
        query: str,
        *,
        top_k: int = 10,
        mode: SearchMode = "hybrid",
        conversation: str | UUID | None = None,
        role: Role | None = None,
        created_after: datetime | None = None,
        created_before: datetime | None = None,
        metadata: Mapping[str, Any] | None = None,
        min_score: float | None = None,
        include_archived: bool | None = None,
    ) -> SearchResult:
        """The messages that matter for ``query``, best first, each with its score parts."""
        fields = calls.search_body(
            query,
            top_k=top_k,
            mode=mode,
            conversation=conversation,
            role=role,
            created_after=created_after,
            created_before=created_before,
            metadata=metadata,
            min_score=min_score,
            include_archived=include_archived,
        )
        return self._send(calls.search(self.tenant_id, fields))

    # --- real time --------------------------------------------------------------------------

    def _tenant(self) -> str:
        if self.tenant_id:
            return self.tenant_id
        tenants = self.me().tenants
        if len(tenants) != 1:
            raise MemoryMeshError(
                "this credential holds several tenants: pass tenant_id=", code="tenant_required"
            )
        return tenants[0].tenant_id

    @contextmanager
    def _ws(self, path: str, **query: str | None) -> Iterator[ClientConnection]:
        """An open socket past its ``ready`` frame (or the error the server refused with)."""
        url = rt.ws_url(self.base_url, path, self._tenant(), **query)
        with connect(url, additional_headers=self._auth_headers()) as socket:
            frame = rt.parse(self._recv(socket))
            if frame.get("type") == "error":
                raise rt.frame_error(frame, self._close_code(socket))
            yield socket

    @staticmethod
    def _recv(socket: ClientConnection) -> str | bytes:
        try:
            return socket.recv()
        except ConnectionClosed as exc:
            rcvd = exc.rcvd
            raise rt.closed_error(
                rcvd.code if rcvd else None, rcvd.reason if rcvd else None
            ) from exc

    @staticmethod
    def _close_code(socket: ClientConnection) -> int | None:
        try:
            socket.recv(timeout=5)
        except ConnectionClosed as exc:
            return exc.rcvd.code if exc.rcvd else None
        except TimeoutError:
            return None
        return None

    def subscribe(self, conversation: str | UUID | None = None) -> Iterator[Event]:
        """Live ``message.created|updated|deleted|embedded`` events of the tenant (or one
        conversation), as they happen; heartbeats are skipped. Close the generator to stop."""
        query = {"conversation_id": str(conversation) if conversation is not None else None}
        with self._ws("/ws/messages", **query) as socket:
            while True:
                frame = rt.parse(self._recv(socket))
                kind = frame.get("type", "")
                if kind == "error":
                    raise rt.frame_error(frame)
                if kind.startswith("message."):
                    yield Event.model_validate(frame)

    def stream_search(self, query: str, **filters: Any) -> Iterator[SearchHit]:
        """Search over the streaming socket: hits arrive one by one, in rank order.
        ``filters`` are :meth:`search`'s keyword arguments."""
        request_id = uuid.uuid4().hex
        with self._ws("/ws/stream") as socket:
            frame = {
                "type": "search",
                "request_id": request_id,
                **calls.search_body(query, **filters),
            }
            socket.send(json.dumps(frame))
            while True:
                answer = rt.parse(self._recv(socket))
                kind = answer.get("type")
                if kind == "result":
                    yield SearchHit.model_validate(answer["hit"])
                elif kind == "done":
                    return
                elif kind == "error":
                    raise rt.frame_error(answer)
