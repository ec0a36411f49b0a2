"""Who is calling and what they may do: principals, roles, scopes, the password policy.

Permission rule (the one place it lives):
- a user acts in a tenant with its membership role: ``admin`` may read, write and
  administer (members, API keys, replays); ``member`` may read and write;
- an API key acts in its one tenant with its scopes: ``read``, ``write``, ``admin``;
- a tenant the principal does not hold is refused (403), whatever the scope.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, field, replace
from uuid import UUID

from memory_mesh.errors import AppError, InvalidInput


class Forbidden(AppError):
    status = 403
    code = "forbidden"


class Unauthorized(AppError):
    status = 401
    code = "unauthorized"


class Scope(enum.StrEnum):
    read = "read"
    write = "write"
    admin = "admin"


class MemberRole(enum.StrEnum):
    admin = "admin"
    member = "member"


ROLE_SCOPES: dict[MemberRole, frozenset[Scope]] = {
    MemberRole.admin: frozenset({Scope.read, Scope.write, Scope.admin}),
    MemberRole.member: frozenset({Scope.read, Scope.write}),
}


@dataclass(frozen=True)
class Principal:
    """An authenticated caller: a user (JWT) or an API key, with its scopes per tenant."""

    kind: str  # "user" or "api_key"
    id: UUID  # user id or API key id
    tenants: dict[str, frozenset[Scope]] = field(default_factory=dict)
    user_id: UUID | None = None
    email: str | None = None
    is_superuser: bool = False
    username: str | None = None

    @property
    def rate_key(self) -> str:
        return f"{self.kind}:{self.id}"

    def default_tenant(self) -> str | None:
        """The tenant to use when a request names none: the only one the caller holds."""
        return next(iter(self.tenants)) if len(self.tenants) == 1 else None

    def with_tenant(self, tenant_id: str, role: MemberRole) -> Principal:
        """This principal, also holding ``tenant_id`` with ``role`` (after a claim)."""
        tenants = {**self.tenants, tenant_id: ROLE_SCOPES[role]}
        return replace(self, tenants=tenants)

    def authorize(self, tenant_id: str, scope: Scope) -> None:
        """Raise Forbidden unless this principal holds ``scope`` in ``tenant_id``."""
        scopes = self.tenants.get(tenant_id)
        if scopes is None:
            raise Forbidden(f"no access to tenant {tenant_id!r}", code="tenant_forbidden")
        if scope not in scopes:
            raise Forbidden(
                f"this credential lacks the {scope.value!r} scope in tenant {tenant_id!r}",
                code="insufficient_scope",
            )


USERNAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{2,31}$"
_USERNAME = re.compile(USERNAME_PATTERN)
USERNAME_RULE = (
    "3-32 characters: letters, digits, '_', '.' or '-', starting with a letter or digit "
    "(no '@', so a username is never mistaken for an email)"
)


def check_username(username: str) -> str:
    """A username as :data:`USERNAME_RULE` says; unique case-insensitively (the store)."""
    if not _USERNAME.match(username):
        raise InvalidInput(
            f"username: must be {USERNAME_RULE}",
            code="invalid_username",
            details=[{"field": "username", "problem": f"must be {USERNAME_RULE}"}],
        )
    return username


# Personal tenants made at registration ("t-" and 12 hex digits) are never claimable, so
# a claim cannot take the id a later registration is about to draw.
_PERSONAL_TENANT = re.compile(r"^t-[0-9a-f]{12}$")
TENANT_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$"
_TENANT_ID = re.compile(TENANT_ID_PATTERN)
HOW_TENANTS_ARE_CREATED = (
    "a tenant is created with POST /v1/auth/tenants or by registering with a tenant_id, "
    "and shared when one of its admins adds you (POST /v1/auth/tenants/{tenant_id}/members)"
)


def claimable_tenant_id(tenant_id: str) -> bool:
    """Whether a user may claim ``tenant_id`` on first use: the tenant id format, and not
    the personal form (whether or not that tenant exists: the answer must not tell)."""
    return bool(_TENANT_ID.match(tenant_id)) and not _PERSONAL_TENANT.match(tenant_id)


COMMON_PASSWORDS = frozenset(
    {
        "password1234",
        "123456789012",
        "qwertyuiop12",
        "passwordpassword",
        "letmein12345",
        "iloveyou1234",
        "administrator",
        "welcome12345",
        "changeme1234",
        "000000000000",
    }
)


def check_password(password: str, email: str, min_length: int) -> None:
    """Length and a block list (NIST 800-63B style), no composition rules."""
    problem = None
    if len(password) < min_length:
        problem = f"must be at least {min_length} characters"
    elif len(password) > 256:
        problem = "must be at most 256 characters"
    elif password.lower() in COMMON_PASSWORDS or len(set(password)) < 4:
        problem = "is too common or too repetitive"
    elif email.split("@")[0].lower() in password.lower() and len(email.split("@")[0]) >= 4:
        problem = "must not contain your email name"
    if problem:
        raise InvalidInput(
            f"password: {problem}",
            code="weak_password",
            details=[{"field": "password", "problem": problem}],
        )
