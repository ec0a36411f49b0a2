"""A rotated database secret reaches a warm Lambda container's pool.

The pool asks :class:`SecretCredentials` for every new connection; they read the secret
through Powertools (cached ``max_age``) from a real Secrets Manager endpoint (a moto
server), and the server is an embedded PostgreSQL that checks passwords, as Aurora does.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable

import psycopg
import pytest
from aws_lambda_powertools.utilities.parameters import SecretsProvider

from memory_mesh.cloud.secrets import SecretCredentials
from memory_mesh.errors import ServiceUnavailable
from memory_mesh.store.database import Database
from memory_mesh.store.login_role import LoginRole, ensure_login_role
from tests.conftest import PasswordPostgres
from tests.infra.lambda_support import MotoEndpoint, moto_endpoint

__all__ = ["moto_endpoint"]


def _role(postgres: PasswordPostgres, password: str) -> LoginRole:
    """A new login role with the application's privileges (as the migration makes it)."""
    role = LoginRole(f"mm_rot_{uuid.uuid4().hex[:8]}", password)
    ensure_login_role(postgres.owner_url, role)
    return role


class Secret:
    """One database secret on the moto server, and a Powertools provider reading it."""

    def __init__(self, moto: MotoEndpoint, postgres: PasswordPostgres, role: LoginRole) -> None:
        self.client = moto.client("secretsmanager")
        self.postgres = postgres
        self.arn = self.client.create_secret(
            Name=f"db-{uuid.uuid4().hex[:8]}", SecretString=self._value(role)
        )["ARN"]
        self.provider = SecretsProvider(boto3_client=self.client)

    def _value(self, role: LoginRole) -> str:
        return json.dumps(self.postgres.secret(role.username, role.password))

    def rotate(self, role: LoginRole) -> None:
        """What a rotation's last step does: the new value becomes AWSCURRENT."""
        self.client.put_secret_value(SecretId=self.arn, SecretString=self._value(role))

    def credentials(self, max_age: int) -> SecretCredentials:
        return SecretCredentials(self.arn, provider=self.provider, max_age=max_age)


OpenPool = Callable[..., Awaitable[Database]]


@pytest.fixture
async def open_pool() -> AsyncIterator[OpenPool]:
    """Open a pool as a Lambda container does (not waiting for its first connection);
    closed after the test."""
    opened: list[Database] = []

    async def open_(credentials: SecretCredentials, *, pool_timeout: float = 5.0) -> Database:
        db = Database(
            credentials,
            min_size=1,
            max_size=2,  # the template's MEMORY_DB_POOL_*
            statement_timeout_ms=5_000,
            pool_timeout=pool_timeout,
        )
        await db.open(wait=False)
        opened.append(db)
        return db

    yield open_
    for db in opened:
        await db.close()


async def _who(db: Database) -> tuple[str, str]:
    """(session_user, current_user) of a pooled connection."""
    async with db.connection() as conn:
        row = await (await conn.execute("select session_user as s, current_user as c")).fetchone()
        assert row is not None
        return str(row["s"]), str(row["c"])


def _end_pool_backends(postgres: PasswordPostgres, username: str) -> int:
    """End every server connection of ``username`` (a failover, a recycled connection):
    the pool must make new ones."""
    with psycopg.connect(postgres.owner_url, autocommit=True) as owner:
        rows = owner.execute(
            "select pg_terminate_backend(pid) from pg_stat_activity where usename = %s",
            [username],
        ).fetchall()
    return len(rows)


async def test_a_warm_pool_logs_in_as_the_rotated_role_once_the_cached_secret_expires(
    password_postgres: PasswordPostgres, moto_endpoint: MotoEndpoint, open_pool: OpenPool
) -> None:
    # GIVEN a pool logged in as one role, its secret cached for 1 s
    first, second = _role(password_postgres, "first-pw"), _role(password_postgres, "second-pw")
    secret = Secret(moto_endpoint, password_postgres, first)
    pool = await open_pool(secret.credentials(max_age=1))
    assert await _who(pool) == (first.username, "memory_mesh_app")
    # WHEN the secret is rotated to another role (alternating users) and, once the cached
    # value has expired, the pool's connections end
    secret.rotate(second)
    await asyncio.sleep(1.5)
    assert _end_pool_backends(password_postgres, first.username) >= 1
    # THEN the next query runs on a new connection logged in as the new role
    assert await _who(pool) == (second.username, "memory_mesh_app")


async def test_a_rotated_password_is_used_at_the_first_refused_login_without_waiting_for_the_cache(
    password_postgres: PasswordPostgres, moto_endpoint: MotoEndpoint, open_pool: OpenPool
) -> None:
    # GIVEN a pool logged in with the secret as it was, cached for the production 300 s
    role = _role(password_postgres, "before-rotation")
    secret = Secret(moto_endpoint, password_postgres, role)
    pool = await open_pool(secret.credentials(max_age=300))
    assert (await _who(pool))[0] == role.username
    # WHEN the password is rotated (single user: the old one stops working at once) and
    # the pool's connections end
    rotated = LoginRole(role.username, "after-rotation")
    ensure_login_role(password_postgres.owner_url, rotated)
    secret.rotate(rotated)
    assert _end_pool_backends(password_postgres, role.username) >= 1
    # THEN the next query logs in with the new password: the refused login read the secret
    # past its cache, instead of failing for the 300 s the old value stays cached
    assert (await _who(pool))[0] == role.username  # within one pool wait: no 503


async def test_a_wrong_password_answers_503_and_the_pool_recovers_when_the_secret_is_fixed(
    password_postgres: PasswordPostgres, moto_endpoint: MotoEndpoint, open_pool: OpenPool
) -> None:
    # GIVEN a secret whose password the server refuses (rotation half done, or a typo)
    role = _role(password_postgres, "the-real-password")
    secret = Secret(moto_endpoint, password_postgres, LoginRole(role.username, "wrong"))
    pool = await open_pool(secret.credentials(max_age=300), pool_timeout=2.0)
    # WHEN a request needs the database THEN it is told the datastore is unavailable
    with pytest.raises(ServiceUnavailable) as refused:
        await _who(pool)
    assert refused.value.code == "datastore_unavailable"
    # WHEN the secret is rotated to the password the server knows
    secret.rotate(role)
    # THEN the same pool recovers by itself (the cached wrong value would last 300 s):
    # requests meanwhile still answer 503, never another error
    deadline = time.monotonic() + 60  # a hang guard, far above the pool's retry backoff
    while True:
        try:
            assert await _who(pool) == (role.username, "memory_mesh_app")
            break
        except ServiceUnavailable:
            assert time.monotonic() < deadline, "the pool never used the rotated secret"


async def test_an_unreadable_secret_is_a_connection_failure_the_pool_retries(
    moto_endpoint: MotoEndpoint,
) -> None:
    client = moto_endpoint.client("secretsmanager")
    credentials = SecretCredentials(
        "arn:aws:secretsmanager:us-east-1:123456789012:secret:missing",
        provider=SecretsProvider(boto3_client=client),
    )
    with pytest.raises(psycopg.OperationalError, match="cannot read the database secret"):
        await credentials.conninfo()
