"""The login secret's alternating-users rotation (template: AppDatabaseSecretRotation).

Secrets Manager's PostgreSQL multi-user rotation function cannot run here (it is made by
CloudFormation's transform); its database steps are the statements below, taken from
what that function runs, played on an embedded PostgreSQL that checks passwords, with
the secret on a real Secrets Manager endpoint (moto). Around them run the real migrate
function and a real warm HTTP function, invoked as Lambda does. What is shown: a warm
function keeps answering through two rotations, logged in as whichever user the secret
names and confined to the application role; the next deploy brings the user the secret
names back to the login role's shape, reading the secret past Powertools' cache.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any

import psycopg
import pytest
from psycopg import errors, sql

from memory_mesh.cloud.secrets import database_url_from_secret
from memory_mesh.cloud.sqs_poller import LocalLambdaContext
from memory_mesh.embeddings import Embedder
from tests.conftest import PasswordPostgres
from tests.infra.lambda_support import (
    database_sessions,
    lambda_context,
    load_function,
    moto_endpoint,
    powertools_on_moto,
    warm_listing_function,
)

__all__ = ["moto_endpoint", "powertools_on_moto"]

# the rotation function's setSecret, as the master user: a missing user is created with
# the pending password and granted the current user; an existing one gets the password
# (it interpolates the password client-side, as sql.Literal does here)
CREATE_CLONE = (
    "create role {pending} with login password {password}",
    "grant {current} to {pending}",
)
SET_PASSWORD = "alter user {pending} with password {password}"


class LoginSecret:
    """The application's login secret on the moto server."""

    def __init__(self, client: Any, postgres: PasswordPostgres, username: str) -> None:
        self.client = client
        self.postgres = postgres
        self.arn: str = client.create_secret(
            Name=f"app-db-{uuid.uuid4().hex[:8]}",
            SecretString=json.dumps(postgres.secret(username, "generated-1")),
        )["ARN"]

    @property
    def current(self) -> dict[str, Any]:
        value: dict[str, Any] = json.loads(
            self.client.get_secret_value(SecretId=self.arn)["SecretString"]
        )
        return value

    def rotate(self, password: str) -> str:
        """One alternating-users rotation: the user the secret does not name gets a new
        password (made, the first time), then the secret names it. Returns that user."""
        current = self.current["username"]
        base = current.removesuffix("_clone")
        pending = base if current.endswith("_clone") else f"{base}_clone"
        names = {
            "pending": sql.Identifier(pending),
            "current": sql.Identifier(current),
            "password": sql.Literal(password),
        }
        with psycopg.connect(self.postgres.owner_url, autocommit=True) as master:
            if master.execute("select 1 from pg_roles where rolname = %s", [pending]).fetchone():
                master.execute(sql.SQL(SET_PASSWORD).format(**names))
            else:
                create, grant = CREATE_CLONE
                master.execute(sql.SQL(create).format(**names))
                master.execute(sql.SQL(grant).format(**names))
        self.client.put_secret_value(  # finishSecret: the pending version becomes current
            SecretId=self.arn,
            SecretString=json.dumps(self.postgres.secret(pending, password)),
        )
        return pending


def _end_sessions(postgres: PasswordPostgres) -> None:
    """Connections end (a frozen container's, or the pool's recycling): new logins follow."""
    with psycopg.connect(postgres.owner_url, autocommit=True) as owner:
        owner.execute(
            "select pg_terminate_backend(pid) from pg_stat_activity"
            " where usename like 'mm_rot_%' and pid <> pg_backend_pid()"
        )


def _secret_cache_expires() -> None:
    """What ``max_age`` seconds later looks like to a warm container's Powertools cache."""
    from aws_lambda_powertools.utilities.parameters.constants import DEFAULT_PROVIDERS

    DEFAULT_PROVIDERS["secrets"].clear_cache()


def _shape(postgres: PasswordPostgres, username: str) -> tuple[bool, list[str], list[str]]:
    """(inherits, the group roles it is in, its role settings)."""
    with psycopg.connect(postgres.owner_url) as owner:
        row = owner.execute(
            "select r.rolinherit,"
            " array(select g.rolname::text from pg_auth_members m"
            "       join pg_roles g on g.oid = m.roleid where m.member = r.oid order by 1),"
            " coalesce((select s.setconfig from pg_db_role_setting s"
            "           where s.setrole = r.oid and s.setdatabase = 0), '{}')"
            " from pg_roles r where r.rolname = %s",
            [username],
        ).fetchone()
    assert row is not None, username
    return bool(row[0]), list(row[1]), list(row[2])


Deploy = Callable[[], dict[str, Any]]


def _migrate_function(
    monkeypatch: pytest.MonkeyPatch,
    client: Any,
    postgres: PasswordPostgres,
    secret: LoginSecret,
) -> Deploy:
    """The migrate function, loaded as Lambda does; calling the result runs the migration
    custom resource of a deploy (with the migrate function's settings, whatever other
    function the test loaded since)."""
    master = client.create_secret(
        Name=f"master-{uuid.uuid4().hex[:8]}",
        SecretString=json.dumps(postgres.secret("postgres", "unused")),
    )["ARN"]
    env = {
        "MEMORY_ENVIRONMENT": "test",
        "MEMORY_TOKENS": "false",
        "MEMORY_DATABASE_SECRET_ARN": master,
        "MEMORY_DATABASE_LOGIN_SECRET_ARN": secret.arn,
    }
    migrate_fn = load_function("migrate", monkeypatch, env)

    def deploy() -> dict[str, Any]:
        with monkeypatch.context() as patch:
            for name, value in env.items():
                patch.setenv(name, value)
            patch.delenv("MEMORY_JWT_SECRET_KEY", raising=False)
            result: dict[str, Any] = migrate_fn.lambda_handler({}, LocalLambdaContext("migrate"))
            return result

    return deploy


def test_a_deploy_sets_the_password_the_secret_holds_now_not_the_one_cached_minutes_ago(
    monkeypatch: pytest.MonkeyPatch,
    password_postgres: PasswordPostgres,
    powertools_on_moto: Any,
) -> None:
    service = f"mm_rot_{uuid.uuid4().hex[:6]}"
    secret = LoginSecret(powertools_on_moto, password_postgres, service)
    deploy = _migrate_function(monkeypatch, powertools_on_moto, password_postgres, secret)
    assert deploy()["login_role"] == service
    # GIVEN the stack gave the secret a new password since (a changed template regenerates
    # it), while the warm migrate function's Powertools cache still holds the old one
    new = password_postgres.secret(service, "generated-again")
    powertools_on_moto.put_secret_value(SecretId=secret.arn, SecretString=json.dumps(new))
    # WHEN the deploy's migration runs THEN the role gets the secret's password of now
    assert deploy()["login_role"] == service
    with psycopg.connect(database_url_from_secret(new)) as conn:
        assert conn.execute("select session_user").fetchone() == (service,)


def test_a_warm_function_keeps_answering_through_alternating_user_rotations(
    monkeypatch: pytest.MonkeyPatch,
    password_postgres: PasswordPostgres,
    powertools_on_moto: Any,
    password_tenant: tuple[str, str],
    local_embedder: Embedder,
) -> None:
    tenant, key = password_tenant
    service = f"mm_rot_{uuid.uuid4().hex[:6]}"
    clone = f"{service}_clone"
    secret = LoginSecret(powertools_on_moto, password_postgres, service)
    deploy = _migrate_function(monkeypatch, powertools_on_moto, password_postgres, secret)

    # GIVEN the first deploy made the login role from the secret
    assert deploy()["login_role"] == service
    function, event = warm_listing_function(monkeypatch, secret.arn, local_embedder, tenant, key)

    def answers_as(username: str) -> None:
        response = function.lambda_handler(event, lambda_context("conversations"))
        assert response["statusCode"] == 200, response
        assert database_sessions(password_postgres.owner_url, username), f"no session of {username}"

    try:
        answers_as(service)
        # WHEN the first rotation makes the clone and points the secret at it, and the
        # warm container's connections end
        assert secret.rotate("generated-2") == clone
        _end_sessions(password_postgres)
        # THEN the container answers at once: the user it knows still logs in
        answers_as(service)
        # and once its cached secret expires, it logs in as the clone
        _secret_cache_expires()
        _end_sessions(password_postgres)
        answers_as(clone)
        # the clone, made by the rotation function (INHERIT, no role default), holds no
        # table privilege of its own: the service's `set role memory_mesh_app` is what
        # lets it work, under row-level security
        with psycopg.connect(database_url_from_secret(secret.current)) as conn:
            with pytest.raises(errors.InsufficientPrivilege):
                conn.execute("select count(*) from conversations")
            conn.rollback()
            conn.execute("set role memory_mesh_app")
            assert conn.execute("select count(*) from conversations").fetchone() == (0,)
        # WHEN the next deploy migrates (its own cached secret, from its last run, is stale)
        assert deploy()["login_role"] == clone
        # THEN the clone has the login role's shape
        inherits, groups, settings = _shape(password_postgres, clone)
        assert not inherits
        assert {"memory_mesh_app", "memory_mesh_system"} <= set(groups)
        assert settings == ["role=memory_mesh_app"]
        # WHEN the second rotation alternates back to the first user, with a new password
        assert secret.rotate("generated-3") == service
        _end_sessions(password_postgres)
        answers_as(clone)
        _secret_cache_expires()
        _end_sessions(password_postgres)
        # THEN the container answers as that user again; its old password is gone
        answers_as(service)
        stale = password_postgres.secret(service, "generated-1")
        with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
            psycopg.connect(database_url_from_secret(stale))
    finally:
        function.container.close()
