"""What the sync and async clients share: the calls (method, path, body, how to read the
answer), the retry rule, and the credentials with their refresh rule. No I/O here."""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Generic, Literal, TypeVar

import httpx

from memory_mesh_client.errors import retry_after_seconds
from memory_mesh_client.models import Tokens

T = TypeVar("T")

# Statuses worth another try: the server said "later" (429) or "not now" (503).
RETRY_STATUSES = frozenset({429, 503})
# Errors of a connection never established: the request cannot have reached the server.
NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)

Retry = Literal["always", "unsent_only"]


@dataclass(frozen=True)
class RetryPolicy:
    """How many times a call is tried, and how long to wait in between (seconds).

    429 waits the server's ``Retry-After`` (up to ``max_retry_after``); 503 and lost
    connections back off exponentially with full jitter: ``uniform(0, min(cap, base*2^n))``.
    """

    attempts: int = 4
    backoff_base: float = 0.25
    backoff_max: float = 8.0
    max_retry_after: float = 60.0

    def delay(self, attempt: int, response: httpx.Response | None) -> float | None:
        """Seconds to wait before try ``attempt + 1`` (attempts count from 1); None: stop."""
        if attempt >= self.attempts:
            return None
        if response is not None:
            after = retry_after_seconds(response)
            # 409 with Retry-After: the same idempotency key is still running server-side
            busy = response.status_code == 409 and after is not None
            if response.status_code not in RETRY_STATUSES and not busy:
                return None
            if after is not None:
                return None if after > self.max_retry_after else after
        return random.uniform(0, min(self.backoff_max, self.backoff_base * 2 ** (attempt - 1)))


@dataclass
class Call(Generic[T]):
    """One API call: what to send and how to read the answer."""

    method: str
    path: str
    read: Callable[[httpx.Response], T]
    params: dict[str, Any] | None = None
    json: Any = None
    retry: Retry = "always"
    authenticated: bool = True
    headers: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.method in ("POST", "PUT", "DELETE") and "Idempotency-Key" not in self.headers:
            # one key per logical call, kept across its retries: the server stores once
            self.headers["Idempotency-Key"] = str(uuid.uuid4())
        if self.params is not None:
            self.params = {k: _param(v) for k, v in self.params.items() if v is not None}

    @property
    def idempotency_key(self) -> str | None:
        return self.headers.get("Idempotency-Key")


def _param(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def body(**fields: Any) -> dict[str, Any]:
    """A JSON body of the fields that are set (None means: leave it to the server)."""
    return {k: _json(v) for k, v in fields.items() if v is not None}


def _json(value: Any) -> Any:
    if isinstance(value, datetime | uuid.UUID):
        return value.isoformat() if isinstance(value, datetime) else str(value)
    return value


# --- credentials ----------------------------------------------------------------------------

REFRESH_MARGIN = timedelta(seconds=30)


class ApiKeyAuth:
    """An API key (``mm_...``): one tenant, fixed scopes, never expires on its own."""

    def __init__(self, key: str) -> None:
        self.key = key

    def headers(self) -> dict[str, str]:
        return {"x-api-key": self.key}

    @property
    def credential(self) -> str:
        return self.key


class SessionAuth:
    """A user session: a short-lived access token and a single-use refresh token.

    The client refreshes before the access token expires and after a 401, keeping the new
    refresh token each time: the server rotates them, and presenting a spent one again
    revokes the whole session. ``on_tokens`` hears every new pair (to persist it).
    """

    def __init__(self, tokens: Tokens, on_tokens: Callable[[Tokens], None] | None = None) -> None:
        self.tokens = tokens
        self.on_tokens = on_tokens

    def headers(self) -> dict[str, str]:
        return {"authorization": f"Bearer {self.tokens.access_token}"}

    @property
    def credential(self) -> str:
        return self.tokens.access_token

    def expiring(self, now: datetime | None = None) -> bool:
        moment = now or datetime.now(UTC)
        return self.tokens.access_expires_at - REFRESH_MARGIN <= moment

    def refresh_call(self) -> Call[Tokens]:
        if not self.tokens.refresh_token:
            raise ValueError("this session has no refresh token (a cookie-mode login?)")
        # a refresh that reached the server spends its token: retry only what never left
        return Call(
            "POST",
            "/v1/auth/refresh",
            read=lambda r: Tokens.model_validate(r.json()),
            json={"refresh_token": self.tokens.refresh_token},
            retry="unsent_only",
            authenticated=False,
        )

    def replace(self, tokens: Tokens) -> None:
        self.tokens = tokens
        if self.on_tokens is not None:
            self.on_tokens(tokens)


Auth = ApiKeyAuth | SessionAuth


def needs_refresh(response: httpx.Response) -> bool:
    """A 401 that a fresh access token may cure (expired or unknown token)."""
    return response.status_code == 401


def merge_headers(*parts: Mapping[str, str]) -> dict[str, str]:
    merged: dict[str, str] = {}
    for part in parts:
        merged.update(part)
    return merged
