"""The application's own login role, so the service never logs in as the database owner.

Created (or brought back in line) by the deploy-time migration, which connects as the
owner (Aurora's master user); the service then logs in with this role's credentials
from a secret of its own. The role:

- may log in, with the password given (sent to the server as a SCRAM verifier computed
  here, so the plain password never appears in a statement or a server log);
- holds no privilege itself (``NOINHERIT``): everything it may do comes from switching
  to ``memory_mesh_app`` (tenant tables, under row-level security) or, per transaction,
  ``memory_mesh_system`` (cross-tenant work) — both NOLOGIN roles of migration 0002;
- starts each session as ``memory_mesh_app`` (a role default), so the service needs no
  ``SET ROLE`` per connection, which would pin sessions behind RDS Proxy.

It is not a superuser, cannot create roles or databases, and owns nothing: no DDL.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field

import psycopg
from psycopg import sql

from memory_mesh.config import ConfigError
from memory_mesh.store.database import APP_ROLE

log = logging.getLogger(__name__)

SYSTEM_ROLE = "memory_mesh_system"
_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
_RESERVED = frozenset({APP_ROLE, SYSTEM_ROLE, "postgres", "rdsadmin", "public"})


@dataclass(frozen=True)
class LoginRole:
    """A login role's name and password (from its secret)."""

    username: str
    password: str = field(repr=False)

    def __post_init__(self) -> None:
        if not _NAME.match(self.username) or self.username in _RESERVED:
            raise ConfigError(
                f"MEMORY_DATABASE_LOGIN_SECRET_ARN: {self.username!r} cannot be the "
                "application's login role (lower-case letters, digits and _, not a "
                "built-in or memory_mesh_* group role)"
            )
        if not self.password:
            raise ConfigError("MEMORY_DATABASE_LOGIN_SECRET_ARN: the secret has no password")


def ensure_login_role(url: str, role: LoginRole) -> bool:
    """Create ``role`` or bring it back in line (password, attributes, memberships,
    default role), connected as the owner at ``url``. Idempotent. Returns True when the
    role was created, False when it existed."""
    with psycopg.connect(url, autocommit=True) as conn:
        owner = conn.execute("select current_user").fetchone()
        if owner is not None and owner[0] == role.username:
            raise ConfigError(
                "MEMORY_DATABASE_LOGIN_SECRET_ARN names the user the migration connects "
                f"as ({role.username}); the application's login role must be another"
            )
        # the server's own algorithm (password_encryption): scram-sha-256 on Aurora
        verifier = conn.pgconn.encrypt_password(
            role.password.encode(), role.username.encode()
        ).decode()
        name = sql.Identifier(role.username)
        with conn.transaction():
            exists = conn.execute(
                "select 1 from pg_roles where rolname = %s", [role.username]
            ).fetchone()
            verb = sql.SQL("alter role" if exists else "create role")
            conn.execute(
                sql.SQL("{} {} with login noinherit password {}").format(
                    verb, name, sql.Literal(verifier)
                )
            )
            conn.execute(
                sql.SQL("grant {}, {} to {}").format(
                    sql.Identifier(APP_ROLE), sql.Identifier(SYSTEM_ROLE), name
                )
            )
            conn.execute(sql.SQL("alter role {} set role = {}").format(name, sql.Literal(APP_ROLE)))
    log.info("login role %s %s", role.username, "updated" if exists else "created")
    return not exists
