"""Identity: registration, login, token refresh with rotation, API keys, tenants and
their members, and turning a credential into a :class:`Principal`.

Passwords are hashed with Argon2 (argon2-cffi) off the event loop; refresh tokens and
API keys are stored only as sha256 hashes; a spent refresh token used again revokes its
whole family (the login it came from), since only a thief would replay it.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, TypeVar
from uuid import UUID, uuid4

import anyio

from memory_mesh.domain.identity import (
    HOW_TENANTS_ARE_CREATED,
    ROLE_SCOPES,
    Forbidden,
    MemberRole,
    Principal,
    Scope,
    Unauthorized,
    check_password,
    check_username,
    claimable_tenant_id,
)
from memory_mesh.errors import Conflict, InvalidInput, NotFound, TooManyRequests
from memory_mesh.observability.metrics import NULL_METRICS, AuthMethod, MetricsRecorder
from memory_mesh.ratelimit.limiter import RateLimiter
from memory_mesh.services.principal_cache import TtlCache
from memory_mesh.services.tokens import TokenIssuer, hash_secret, new_secret
from memory_mesh.store import identity as store
from memory_mesh.store.database import Database

if TYPE_CHECKING:
    from argon2 import PasswordHasher

log = logging.getLogger(__name__)

_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,255}\.[^@\s]{1,63}$")
API_KEY_PREFIX = "mm"
T = TypeVar("T")


@dataclass
class TokenPair:
    access_token: str
    access_expires_at: datetime
    refresh_token: str
    refresh_expires_at: datetime


@dataclass
class NewApiKey:
    row: dict[str, Any]
    key: str  # shown once


def _check_email(email: str) -> str:
    if not _EMAIL.match(email):
        raise InvalidInput(
            "email: is not an email address",
            code="invalid_email",
            details=[{"field": "email", "problem": "not an email address"}],
        )
    return email.strip()


class AuthService:
    def __init__(
        self,
        db: Database,
        issuer: TokenIssuer,
        limiter: RateLimiter,
        *,
        password_min_length: int,
        refresh_ttl: timedelta,
        login_rule: str,
        open_tenant_claim: bool = True,
        metrics: MetricsRecorder = NULL_METRICS,
        principal_ttl_seconds: float = 0.0,
    ) -> None:
        self.db = db
        self.issuer = issuer
        self.limiter = limiter
        self.password_min_length = password_min_length
        self.refresh_ttl = refresh_ttl
        self.login_rule = login_rule
        self.open_tenant_claim = open_tenant_claim
        self.metrics = metrics
        # who a credential is, for a few seconds (services/principal_cache.py): a user's
        # principal by user id (the token itself is verified every time), a key's by hash
        self._users: TtlCache[Principal] = TtlCache(principal_ttl_seconds)
        self._keys: TtlCache[Principal] = TtlCache(principal_ttl_seconds)
        # Argon2 on the first password operation, not at start: only sign-up and sign-in
        # hash, and one hash (64 MiB, 4 lanes) is ~0.27 s of CPU in every first invocation
        self._password_hasher: PasswordHasher | None = None
        self._dummy_hash: str | None = None

    @property
    def _hasher(self) -> PasswordHasher:
        if self._password_hasher is None:
            from argon2 import PasswordHasher

            self._password_hasher = PasswordHasher()
        return self._password_hasher

    async def _dummy(self) -> str:
        """The hash an unknown account's password is checked against (same work as a
        known one's); made by the first sign-in, before its account is looked up."""
        if self._dummy_hash is None:
            self._dummy_hash = await anyio.to_thread.run_sync(
                self._hasher.hash, "timing-equaliser-not-a-password"
            )
        return self._dummy_hash

    # --- users and tenants -------------------------------------------------------

    async def register(
        self,
        *,
        email: str,
        password: str,
        tenant_id: str | None = None,
        tenant_name: str | None = None,
        is_superuser: bool = False,
        username: str | None = None,
    ) -> tuple[UUID, str]:
        """Create a user (with an optional username) and a tenant it administers;
        return (user id, tenant id)."""
        email = _check_email(email)
        if username is not None:
            check_username(username)
        check_password(password, email, self.password_min_length)
        password_hash = await anyio.to_thread.run_sync(self._hasher.hash, password)
        user_id = uuid4()
        tenant = tenant_id or f"t-{user_id.hex[:12]}"
        async with self.db.system() as conn:
            if not await store.insert_user(
                conn,
                user_id=user_id,
                email=email,
                password_hash=password_hash,
                is_superuser=is_superuser,
                username=username,
            ):
                taken = await store.taken_identifiers(conn, email=email, username=username)
                if "email" in taken:
                    raise Conflict("an account with this email exists", code="email_taken")
                raise Conflict("this username is taken", code="username_taken")
            if not await store.insert_tenant(conn, tenant_id=tenant, name=tenant_name or tenant):
                raise Conflict(f"tenant {tenant!r} exists", code="tenant_taken")
            await store.upsert_member(
                conn, tenant_id=tenant, user_id=user_id, role=MemberRole.admin.value
            )
        self._users.forget(user_id)
        return user_id, tenant

    async def create_tenant(self, principal: Principal, tenant_id: str, name: str | None) -> None:
        """A user creates another tenant and becomes its admin."""
        if principal.user_id is None:
            raise Unauthorized("only a signed-in user can create tenants", code="user_required")
        async with self.db.system() as conn:
            if not await store.insert_tenant(conn, tenant_id=tenant_id, name=name or tenant_id):
                raise Conflict(f"tenant {tenant_id!r} exists", code="tenant_taken")
            await store.upsert_member(
                conn, tenant_id=tenant_id, user_id=principal.user_id, role=MemberRole.admin.value
            )
        self._users.forget(principal.user_id)

    async def claim_tenant(self, principal: Principal, tenant_id: str) -> Principal:
        """A signed-in user naming a tenant that does not exist yet becomes its admin
        (MEMORY_TENANT_OPEN_CLAIM); return the principal holding it. A tenant that exists
        is never taken: 403, like any tenant not held. API keys never claim."""
        if principal.user_id is None or not self.open_tenant_claim:
            how = "" if principal.user_id is None else f"; {HOW_TENANTS_ARE_CREATED}"
            raise Forbidden(f"no access to tenant {tenant_id!r}{how}", code="tenant_forbidden")
        if not claimable_tenant_id(tenant_id):
            raise Forbidden(
                f"no access to tenant {tenant_id!r} (ids of the form t-<12 hex digits> are "
                "personal tenants, never claimed)",
                code="tenant_forbidden",
            )
        async with self.db.system() as conn:
            # the primary key decides a race: the second insert waits, then finds the row
            if not await store.insert_tenant(conn, tenant_id=tenant_id, name=tenant_id):
                raise Forbidden(f"no access to tenant {tenant_id!r}", code="tenant_forbidden")
            await store.upsert_member(
                conn, tenant_id=tenant_id, user_id=principal.user_id, role=MemberRole.admin.value
            )
        self._users.forget(principal.user_id)
        log.info("tenant %s claimed on first use by user %s", tenant_id, principal.user_id)
        return principal.with_tenant(tenant_id, MemberRole.admin)

    async def add_member(
        self, principal: Principal, tenant_id: str, email: str, role: MemberRole
    ) -> UUID:
        principal.authorize(tenant_id, Scope.admin)
        async with self.db.system() as conn:
            user = await store.user_by_email(conn, email)
            if user is None:
                raise NotFound("no user with this email", code="user_not_found")
            await store.upsert_member(
                conn, tenant_id=tenant_id, user_id=user["id"], role=role.value
            )
        self._users.forget(UUID(str(user["id"])))
        return UUID(str(user["id"]))

    async def me(self, principal: Principal) -> dict[str, Any]:
        memberships: list[dict[str, Any]] = []
        if principal.user_id is not None:
            async with self.db.system() as conn:
                memberships = await store.memberships(conn, principal.user_id)
        return {
            "kind": principal.kind,
            "id": principal.id,
            "email": principal.email,
            "username": principal.username,
            "is_superuser": principal.is_superuser,
            "tenants": [
                {
                    "tenant_id": tenant,
                    "scopes": sorted(s.value for s in scopes),
                    "role": next(
                        (m["role"] for m in memberships if m["tenant_id"] == tenant), None
                    ),
                }
                for tenant, scopes in sorted(principal.tenants.items())
            ],
        }

    # --- sessions ----------------------------------------------------------------

    async def login(self, login: str, password: str) -> TokenPair:
        """Sign in with the email or the username (an identifier holding '@' is an email;
        a username never does)."""
        login = login.strip()
        dummy = await self._dummy()
        async with self.db.system() as conn:
            if "@" in login:
                user = await store.user_by_email(conn, login)
            else:
                user = await store.user_by_username(conn, login)
        # one throttle per account, whichever identifier names it
        key = f"login:{user['id']}" if user else f"login:{login.lower()}"
        gate = await self.limiter.test(self.login_rule, key)
        if not gate.allowed:
            self.metrics.auth_attempt(method="password", outcome="throttled")
            self.metrics.rate_limit_hit(limit="login")
            raise TooManyRequests(
                "too many failed sign-ins for this account; try again later",
                code="too_many_login_attempts",
                headers={"Retry-After": str(gate.retry_after)},
            )
        stored = user["password_hash"] if user else dummy
        ok = await anyio.to_thread.run_sync(self._verify, stored, password)
        if not ok or user is None:
            await self.limiter.hit(self.login_rule, key)
            self.metrics.auth_attempt(method="password", outcome="failure")
            raise Unauthorized("wrong email or password", code="invalid_credentials")
        self.metrics.auth_attempt(method="password", outcome="success")
        await self.limiter.clear(self.login_rule, key)
        if self._hasher.check_needs_rehash(stored):
            new_hash = await anyio.to_thread.run_sync(self._hasher.hash, password)
            async with self.db.system() as conn:
                await store.set_password_hash(conn, user["id"], new_hash)
        return await self._issue(user["id"], family_id=uuid4())

    def _verify(self, stored: str, password: str) -> bool:
        from argon2.exceptions import InvalidHashError, VerificationError

        try:
            return bool(self._hasher.verify(stored, password))
        except (VerificationError, InvalidHashError):
            return False

    async def refresh(self, refresh_token: str) -> TokenPair:
        """Rotate: the token is spent and a new pair issued. A spent or revoked token used
        again revokes its whole family and is refused."""
        return await self._counted("refresh_token", self._rotate(refresh_token))

    async def _counted(self, method: AuthMethod, attempt: Awaitable[T]) -> T:
        """``attempt``'s result, counted as an auth attempt (refused when Unauthorized)."""
        try:
            result = await attempt
        except Unauthorized:
            self.metrics.auth_attempt(method=method, outcome="refused")
            raise
        self.metrics.auth_attempt(method=method, outcome="success")
        return result

    async def _rotate(self, refresh_token: str) -> TokenPair:
        token_hash = hash_secret(refresh_token)
        async with self.db.system() as conn:
            row = await store.refresh_token_for_update(conn, token_hash)
            if row is None:
                raise Unauthorized("the refresh token is not valid", code="invalid_token")
            if row["used_at"] is not None or row["revoked_at"] is not None:
                await store.revoke_refresh_family(conn, row["family_id"])
                reuse = True
            else:
                reuse = False
                if row["expires_at"] <= datetime.now(UTC):
                    raise Unauthorized("the refresh token has expired", code="token_expired")
                await store.mark_refresh_token_used(conn, row["id"])
        if reuse:
            log.warning("refresh token reuse: family %s revoked", row["family_id"])
            raise Unauthorized(
                "this refresh token was already used; the session is revoked, sign in again",
                code="refresh_token_reused",
            )
        async with self.db.system() as conn:
            if await store.user_by_id(conn, row["user_id"]) is None:
                raise Unauthorized("the account is disabled", code="invalid_token")
        return await self._issue(row["user_id"], family_id=row["family_id"])

    async def logout(self, refresh_token: str) -> None:
        async with self.db.system() as conn:
            row = await store.refresh_token_for_update(conn, hash_secret(refresh_token))
            if row is not None:
                await store.revoke_refresh_family(conn, row["family_id"])

    async def _issue(self, user_id: UUID, *, family_id: UUID) -> TokenPair:
        # signing in (or refreshing) reads the memberships afresh, even those granted by
        # another process within the cache's TTL
        self._users.forget(user_id)
        access, access_expires = self.issuer.access_token(user_id)
        refresh = new_secret("mmr")
        refresh_expires = datetime.now(UTC) + self.refresh_ttl
        async with self.db.system() as conn:
            await store.insert_refresh_token(
                conn,
                token_id=uuid4(),
                user_id=user_id,
                family_id=family_id,
                token_hash=hash_secret(refresh),
                expires_at=refresh_expires,
            )
        return TokenPair(access, access_expires, refresh, refresh_expires)

    # --- credentials -> principal -----------------------------------------------

    async def principal_from_access_token(self, token: str) -> Principal:
        return await self._counted("access_token", self._access_token_principal(token))

    async def _access_token_principal(self, token: str) -> Principal:
        user_id = self.issuer.verify_access(token)
        cached = self._users.get(user_id)
        if cached is not None:
            return cached
        async with self.db.system() as conn:
            user = await store.user_by_id(conn, user_id)
            if user is None:
                raise Unauthorized("the account no longer exists", code="invalid_token")
            rows = await store.memberships(conn, user_id)
        principal = Principal(
            kind="user",
            id=user_id,
            user_id=user_id,
            email=user["email"],
            username=user["username"],
            is_superuser=user["is_superuser"],
            tenants={r["tenant_id"]: ROLE_SCOPES[MemberRole(r["role"])] for r in rows},
        )
        self._users.put(user_id, principal)
        return principal

    async def principal_from_credential(self, credential: str) -> Principal:
        """An API key (``mm_...``) or an access token, told apart by the key prefix."""
        if credential.startswith(API_KEY_PREFIX + "_"):
            return await self.principal_from_api_key(credential)
        return await self.principal_from_access_token(credential)

    async def principal_from_api_key(self, key: str) -> Principal:
        return await self._counted("api_key", self._api_key_principal(key))

    async def _api_key_principal(self, key: str) -> Principal:
        key_hash = hash_secret(key)
        cached = self._keys.get(key_hash)
        if cached is not None:
            return cached
        async with self.db.system() as conn:
            row = await store.api_key_by_hash(conn, key_hash)
        if row is None:
            raise Unauthorized("the API key is not valid or was revoked", code="invalid_api_key")
        principal = Principal(
            kind="api_key",
            id=row["id"],
            tenants={row["tenant_id"]: frozenset(Scope(s) for s in row["scopes"])},
        )
        expires = row.get("expires_at")
        left = (expires - datetime.now(UTC)).total_seconds() if expires is not None else None
        self._keys.put(key_hash, principal, at_most_seconds=left)
        return principal

    # --- API keys ----------------------------------------------------------------

    async def create_api_key(
        self,
        principal: Principal,
        *,
        tenant_id: str,
        name: str,
        scopes: list[Scope],
        expires_in_days: int | None,
    ) -> NewApiKey:
        principal.authorize(tenant_id, Scope.admin)
        key = new_secret(API_KEY_PREFIX)
        expires = datetime.now(UTC) + timedelta(days=expires_in_days) if expires_in_days else None
        async with self.db.system() as conn:
            row = await store.insert_api_key(
                conn,
                key_id=uuid4(),
                tenant_id=tenant_id,
                name=name,
                prefix=key[:10],
                key_hash=hash_secret(key),
                scopes=sorted({s.value for s in scopes}),
                created_by=principal.user_id,
                expires_at=expires,
            )
        return NewApiKey(row=row, key=key)

    async def list_api_keys(self, principal: Principal, tenant_id: str) -> list[dict[str, Any]]:
        principal.authorize(tenant_id, Scope.admin)
        async with self.db.system() as conn:
            return await store.list_api_keys(conn, tenant_id)

    async def revoke_api_key(self, principal: Principal, key_id: UUID) -> None:
        async with self.db.system() as conn:
            row = await store.api_key(conn, key_id)
            # another tenant's key looks exactly like a missing one
            if row is None or row["tenant_id"] not in principal.tenants:
                raise NotFound(f"API key {key_id} not found", code="api_key_not_found")
            principal.authorize(row["tenant_id"], Scope.admin)
            await store.revoke_api_key(conn, key_id)
        self._keys.clear()  # cached by hash, which the id does not give: forget every key
