"""A function, imported and invoked as Lambda does, logs in to the database with the
secret the template gives it (the application's login role, read through Powertools from
a real Secrets Manager endpoint), and keeps answering across a password rotation while
its container stays warm."""

from __future__ import annotations

import json
import uuid
from typing import Any

import psycopg
import pytest

from memory_mesh.embeddings import Embedder
from memory_mesh.store.login_role import LoginRole, ensure_login_role
from tests.conftest import PasswordPostgres
from tests.infra.lambda_support import (
    database_sessions,
    lambda_context,
    moto_endpoint,
    powertools_on_moto,
    warm_listing_function,
)

__all__ = ["moto_endpoint", "powertools_on_moto"]


def _end(postgres: PasswordPostgres, pids: list[int]) -> None:
    with psycopg.connect(postgres.owner_url, autocommit=True) as owner:
        for pid in pids:
            owner.execute("select pg_terminate_backend(%s)", [pid])


def test_a_warm_function_logs_in_as_the_login_role_and_survives_a_password_rotation(
    monkeypatch: pytest.MonkeyPatch,
    password_postgres: PasswordPostgres,
    powertools_on_moto: Any,
    password_tenant: tuple[str, str],
    local_embedder: Embedder,
) -> None:
    tenant, key = password_tenant
    # GIVEN the login role and its secret, as the migrate function leaves them
    role = LoginRole(f"mm_fn_{uuid.uuid4().hex[:8]}", "generated-password-1")
    ensure_login_role(password_postgres.owner_url, role)
    arn = powertools_on_moto.create_secret(
        Name=f"app-db-{uuid.uuid4().hex[:8]}",
        SecretString=json.dumps(password_postgres.secret(role.username, role.password)),
    )["ARN"]
    function, event = warm_listing_function(monkeypatch, arn, local_embedder, tenant, key)
    try:
        # WHEN it is invoked THEN it answers, logged in as the login role
        first = function.lambda_handler(event, lambda_context("conversations"))
        assert first["statusCode"] == 200, first
        assert database_sessions(password_postgres.owner_url, role.username)
        # WHEN the password is rotated (role, then secret) and its connections end
        rotated = LoginRole(role.username, "generated-password-2")
        ensure_login_role(password_postgres.owner_url, rotated)
        powertools_on_moto.put_secret_value(
            SecretId=arn,
            SecretString=json.dumps(password_postgres.secret(role.username, rotated.password)),
        )
        _end(password_postgres, database_sessions(password_postgres.owner_url, role.username))
        # THEN the same warm container answers the next request with the new password,
        # though Powertools still holds the old one for minutes
        second = function.lambda_handler(event, lambda_context("conversations"))
        assert second["statusCode"] == 200, second
        assert database_sessions(password_postgres.owner_url, role.username)
    finally:
        function.container.close()
