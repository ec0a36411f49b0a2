"""The application's login role (store/login_role.py), on an embedded PostgreSQL that
checks passwords as Aurora does: the deploy-time migration creates it and brings it
back in line on every run; the whole service works logged in as it; and it can read and
write the application's tables, under row-level security, and nothing else."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import psycopg
import pytest
from psycopg import errors

from memory_mesh.cloud.secrets import database_url_from_secret
from memory_mesh.config import ConfigError
from memory_mesh.embeddings import Embedder
from memory_mesh.runtime import Runtime
from memory_mesh.store.login_role import LoginRole, ensure_login_role
from tests.conftest import PasswordPostgres, http_client, make_settings, make_tenant


def _new_role(password: str = "s3cret-login") -> LoginRole:
    return LoginRole(f"mm_login_{uuid.uuid4().hex[:8]}", password)


def _url(postgres: PasswordPostgres, role: LoginRole) -> str:
    return database_url_from_secret(postgres.secret(role.username, role.password))


def _attributes(postgres: PasswordPostgres, username: str) -> dict[str, object]:
    with psycopg.connect(postgres.owner_url) as owner:
        row = owner.execute(
            "select r.rolcanlogin, r.rolinherit, r.rolsuper, r.rolcreaterole, r.rolcreatedb,"
            " r.rolbypassrls,"
            " array(select g.rolname from pg_auth_members m join pg_roles g on g.oid = m.roleid"
            "       where m.member = r.oid order by 1),"
            " (select s.setconfig from pg_db_role_setting s"
            "   where s.setrole = r.oid and s.setdatabase = 0)"
            " from pg_roles r where r.rolname = %s",
            [username],
        ).fetchone()
    assert row is not None, f"role {username} does not exist"
    keys = ("login", "inherit", "super", "createrole", "createdb", "bypassrls", "groups", "config")
    return dict(zip(keys, row, strict=True))


EXPECTED = {
    "login": True,
    "inherit": False,  # no privilege of its own: only through its SET ROLE targets
    "super": False,
    "createrole": False,
    "createdb": False,
    "bypassrls": False,
    "groups": ["memory_mesh_app", "memory_mesh_system"],
    "config": ["role=memory_mesh_app"],  # sessions start as the application role
}


def test_the_login_role_is_created_once_and_brought_back_in_line_on_every_run(
    password_postgres: PasswordPostgres,
) -> None:
    role = _new_role()
    # WHEN the migration runs twice THEN the role is created, then found
    assert ensure_login_role(password_postgres.owner_url, role) is True
    assert ensure_login_role(password_postgres.owner_url, role) is False
    assert _attributes(password_postgres, role.username) == EXPECTED
    # GIVEN drift (an operator's change, or a rotation that made a clone inheriting)
    with psycopg.connect(password_postgres.owner_url, autocommit=True) as owner:
        owner.execute(f"alter role {role.username} inherit password 'other'")
        owner.execute(f"alter role {role.username} reset role")
    # WHEN the next deploy migrates THEN the role is back to what the service expects
    rotated = LoginRole(role.username, "rotated-password")
    assert ensure_login_role(password_postgres.owner_url, rotated) is False
    assert _attributes(password_postgres, role.username) == EXPECTED
    # and it logs in with the secret's current password only
    with psycopg.connect(_url(password_postgres, rotated)) as conn:
        assert conn.execute("select session_user").fetchone() == (role.username,)
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        psycopg.connect(_url(password_postgres, role))


def test_the_password_never_appears_in_the_statements_sent(
    password_postgres: PasswordPostgres,
) -> None:
    role = _new_role(password="plain-text-must-not-leak")
    ensure_login_role(password_postgres.owner_url, role)
    with psycopg.connect(password_postgres.owner_url) as owner:
        row = owner.execute(
            "select rolpassword from pg_authid where rolname = %s", [role.username]
        ).fetchone()
    assert row is not None and str(row[0]).startswith("SCRAM-SHA-256$")


@pytest.mark.parametrize(
    "username", ["memory_mesh_app", "memory_mesh_system", "postgres", "Robert'); drop", ""]
)
def test_a_login_secret_naming_a_group_role_or_no_valid_name_is_refused(username: str) -> None:
    with pytest.raises(ConfigError, match="MEMORY_DATABASE_LOGIN_SECRET_ARN"):
        LoginRole(username, "pw")


def test_a_login_secret_naming_the_migrating_user_is_refused(
    password_postgres: PasswordPostgres,
) -> None:
    # GIVEN an owner other than "postgres", as Aurora's master user is
    owner = LoginRole(f"mm_owner_{uuid.uuid4().hex[:8]}", "owner-pw")
    with psycopg.connect(password_postgres.owner_url, autocommit=True) as conn:
        conn.execute(f"create role {owner.username} login superuser password 'owner-pw'")
    # WHEN the login secret names that same user THEN the migration refuses to touch it
    with pytest.raises(ConfigError, match="must be another"):
        ensure_login_role(_url(password_postgres, owner), owner)


def _denied(conn: psycopg.Connection[tuple[object, ...]], statement: str) -> bool:
    try:
        conn.execute(statement)
    except errors.InsufficientPrivilege:
        return True
    return False


def test_the_login_role_reads_and_writes_the_application_tables_and_nothing_else(
    password_postgres: PasswordPostgres,
) -> None:
    role = _new_role()
    ensure_login_role(password_postgres.owner_url, role)
    with psycopg.connect(password_postgres.owner_url, autocommit=True) as owner:
        owner.execute("create schema if not exists ops_private")
        owner.execute("create table if not exists ops_private.notes (body text)")
    tenant = f"t-{uuid.uuid4().hex[:8]}"
    with psycopg.connect(_url(password_postgres, role), autocommit=True) as conn:
        # reads and writes of its own tenant's rows, as memory_mesh_app, under RLS
        with conn.transaction():
            conn.execute("set local role memory_mesh_system")
            conn.execute("insert into tenants (id, name) values (%s, %s)", [tenant, tenant])
        with conn.transaction():
            conn.execute("select set_config('memory_mesh.tenant_id', %s, true)", [tenant])
            conn.execute(
                "insert into conversations (id, tenant_id, title)"
                " values (gen_random_uuid(), %s, 'c')",
                [tenant],
            )
            assert conn.execute("select count(*) from conversations").fetchone() == (1,)
        # without a tenant, row-level security shows nothing
        assert conn.execute("select count(*) from conversations").fetchone() == (0,)
        # no DDL, on the application's tables or anywhere
        assert _denied(conn, "create table public.mm_intruder (id int)")
        assert _denied(conn, "alter table messages add column intruder int")
        assert _denied(conn, "drop table messages")
        assert _denied(conn, "create schema intruder")
        assert _denied(conn, "truncate messages")
        # nothing outside the application's grants
        assert _denied(conn, "select * from schema_migrations")
        assert _denied(conn, "select * from users")
        assert _denied(conn, "select * from ops_private.notes")
        assert _denied(conn, "set role postgres")
        # and as itself (no role switched to) it holds no privilege at all
        conn.execute("set role none")
        assert conn.execute("select current_user").fetchone() == (role.username,)
        assert _denied(conn, "select count(*) from conversations")


@pytest.fixture
async def login_runtime(
    password_postgres: PasswordPostgres, local_embedder: Embedder
) -> AsyncIterator[tuple[Runtime, LoginRole]]:
    """The service logged in as a fresh login role (as every function but migrate is)."""
    role = _new_role()
    ensure_login_role(password_postgres.owner_url, role)
    settings = make_settings(_url(password_postgres, role), auto_migrate=False)
    runtime = await Runtime.start(settings, embedder=local_embedder, run_worker=False)
    yield runtime, role
    await runtime.stop()


async def test_the_service_works_logged_in_as_the_login_role(
    login_runtime: tuple[Runtime, LoginRole], password_postgres: PasswordPostgres
) -> None:
    from memory_mesh.http.app import create_app

    runtime, role = login_runtime
    app = create_app(runtime.settings)
    app.state.runtime = runtime
    # auth (system transactions), then a tenant's writes, search and listing
    tenant, key = await make_tenant(runtime)
    async with http_client(app, key) as http:
        made = await http.post("/v1/conversations", json={"tenant_id": tenant, "title": "c"})
        assert made.status_code == 201, made.text
        conversation = made.json()["id"]
        stored = await http.post(
            "/v1/messages",
            json={
                "tenant_id": tenant,
                "conversation_id": conversation,
                "role": "user",
                "content": "the blue heron nests by the river",
            },
        )
        assert stored.status_code == 201, stored.text
        found = await http.get(
            "/v1/memory/search", params={"tenant_id": tenant, "query": "heron nest"}
        )
        assert found.status_code == 200, found.text
        listed = await http.get("/v1/conversations", params={"tenant_id": tenant})
        assert listed.status_code == 200, listed.text
    async with runtime.db.connection() as conn:
        row = await (await conn.execute("select session_user as s, current_user as c")).fetchone()
    assert row == {"s": role.username, "c": "memory_mesh_app"}
