"""Access tokens (JWT, HS256, PyJWT) and opaque secrets (refresh tokens, API keys).

Decoding pins the algorithm list to HS256, so ``alg: none`` and algorithm-confusion
tokens are refused; expiry, issued-at, subject and token type are required.
"""

from __future__ import annotations

import hashlib
import secrets
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import jwt

from memory_mesh.domain.identity import Unauthorized

ALGORITHM = "HS256"
ISSUER = "memory-mesh"
#: Access tokens remembered as verified (each until it expires), per process.
VERIFIED_TOKENS = 4096


def hash_secret(secret: str) -> str:
    """sha256 hex of a high-entropy secret (API key, refresh token): stored, never the secret."""
    return hashlib.sha256(secret.encode()).hexdigest()


def new_secret(prefix: str) -> str:
    return f"{prefix}_{secrets.token_urlsafe(32)}"


class TokenIssuer:
    def __init__(self, secret: str, access_ttl: timedelta) -> None:
        self._secret = secret
        self.access_ttl = access_ttl
        # token -> (user id, expiry): a client sends the same token for 15 minutes, and
        # decoding it again (base64, JSON, HMAC) was most of authenticating a request
        self._verified: dict[str, tuple[UUID, float]] = {}

    def access_token(self, user_id: UUID) -> tuple[str, datetime]:
        now = datetime.now(UTC)
        expires = now + self.access_ttl
        claims = {
            "sub": str(user_id),
            "type": "access",
            "iss": ISSUER,
            "iat": now,
            "exp": expires,
            "jti": uuid.uuid4().hex,
        }
        return jwt.encode(claims, self._secret, algorithm=ALGORITHM), expires

    def verify_access(self, token: str) -> UUID:
        """The user id of a valid access token; Unauthorized (with a reason) otherwise.
        A token verified before answers from memory until its expiry."""
        known = self._verified.get(token)
        if known is not None and time.time() < known[1]:
            return known[0]
        user_id, expires = self._decode(token)
        if len(self._verified) >= VERIFIED_TOKENS:
            self._verified.pop(next(iter(self._verified)), None)  # the oldest remembered
        self._verified[token] = (user_id, expires)
        return user_id

    def _decode(self, token: str) -> tuple[UUID, float]:
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                self._secret,
                algorithms=[ALGORITHM],
                issuer=ISSUER,
                options={"require": ["exp", "iat", "sub", "type", "iss"]},
            )
        except jwt.ExpiredSignatureError:
            raise Unauthorized("the access token has expired", code="token_expired") from None
        except jwt.PyJWTError:
            raise Unauthorized("the access token is not valid", code="invalid_token") from None
        if claims.get("type") != "access":
            raise Unauthorized("not an access token", code="invalid_token")
        try:
            return UUID(str(claims["sub"])), float(claims["exp"])
        except ValueError:
            raise Unauthorized("the access token is not valid", code="invalid_token") from None


class NoTokens(TokenIssuer):
    """The issuer of a process that holds no signing key (``MEMORY_TOKENS=false``): it
    signs nothing and accepts no access token, so a route that needs one answers 401
    instead of the process failing to start."""

    def __init__(self, access_ttl: timedelta) -> None:
        super().__init__("", access_ttl)

    def access_token(self, user_id: UUID) -> tuple[str, datetime]:
        raise RuntimeError("this process signs no access tokens (MEMORY_TOKENS=false)")

    def verify_access(self, token: str) -> UUID:
        raise Unauthorized("this endpoint takes no access tokens here", code="invalid_token")
