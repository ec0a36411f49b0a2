"""The migration custom resource answers CloudFormation on every path: settings that do
not load, a Delete whatever the settings, and a migration still hanging when the
function is about to time out. The answer is a real PUT to a local HTTP endpoint
standing for the pre-signed ``ResponseURL``."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any, ClassVar

import psycopg
import pytest

from memory_mesh.cloud.secrets import database_url_from_secret
from memory_mesh.cloud.sqs_poller import LocalLambdaContext
from tests.conftest import JWT_SECRET, PasswordPostgres, SilentListener
from tests.infra.lambda_support import (
    load_event,
    load_function,
    moto_endpoint,
    powertools_on_moto,
)

__all__ = ["moto_endpoint", "powertools_on_moto"]

ENV = {"MEMORY_ENVIRONMENT": "test", "MEMORY_JWT_SECRET_KEY": JWT_SECRET}


class _Answers(BaseHTTPRequestHandler):
    received: ClassVar[list[dict[str, Any]]]

    def do_PUT(self) -> None:
        length = int(self.headers["Content-Length"])
        type(self).received.append(json.loads(self.rfile.read(length)))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def cloudformation() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """A ResponseURL and the answers PUT to it."""
    received: list[dict[str, Any]] = []
    server = HTTPServer(("127.0.0.1", 0), type("Answers", (_Answers,), {"received": received}))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/answer", received
    server.shutdown()
    server.server_close()


def _event(request_type: str, url: str) -> dict[str, Any]:
    event = load_event("cloudformation_create_request")
    event["RequestType"] = request_type
    event["ResponseURL"] = url
    return event


def test_settings_that_fail_to_load_are_answered_failed_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, cloudformation: tuple[str, list[dict[str, Any]]]
) -> None:
    url, received = cloudformation
    # GIVEN a variable that makes the settings invalid (the function still imports)
    migrate_fn = load_function(
        "migrate", monkeypatch, {**ENV, "MEMORY_EMBEDDING_DIMENSIONS": "many"}
    )
    # WHEN CloudFormation creates the resource
    result = migrate_fn.lambda_handler(_event("Create", url), LocalLambdaContext("migrate"))
    # THEN it is told FAILED, with the reason
    assert result["Status"] == "FAILED"
    (answer,) = received
    assert answer["Status"] == "FAILED"
    assert "MEMORY_EMBEDDING_DIMENSIONS" in answer["Reason"]


def test_delete_is_answered_success_even_when_the_settings_are_broken(
    monkeypatch: pytest.MonkeyPatch, cloudformation: tuple[str, list[dict[str, Any]]]
) -> None:
    url, received = cloudformation
    migrate_fn = load_function(
        "migrate", monkeypatch, {**ENV, "MEMORY_EMBEDDING_DIMENSIONS": "many"}
    )
    result = migrate_fn.lambda_handler(_event("Delete", url), LocalLambdaContext("migrate"))
    assert result["Status"] == "SUCCESS"
    assert [a["Status"] for a in received] == ["SUCCESS"]  # the stack can always be deleted


def test_a_migration_hanging_at_the_deadline_is_answered_failed_before_the_timeout(
    monkeypatch: pytest.MonkeyPatch,
    cloudformation: tuple[str, list[dict[str, Any]]],
    silent_listener: SilentListener,
) -> None:
    url, received = cloudformation
    # GIVEN a database that accepts the connection and never answers
    hung = f"postgresql://nobody@127.0.0.1:{silent_listener.port}/x"
    migrate_fn = load_function("migrate", monkeypatch, {**ENV, "MEMORY_DATABASE_URL": hung})
    # WHEN the function has 1 s more than the margin it keeps for answering (15 s)
    context = LocalLambdaContext("migrate", timeout_seconds=16.0)
    result = migrate_fn.lambda_handler(_event("Update", url), context)
    # THEN CloudFormation is told FAILED while the function still had time to do so
    assert silent_listener.accepted >= 1  # the migration did reach the hung database
    assert result["Status"] == "FAILED"
    (answer,) = received
    assert answer["Status"] == "FAILED"
    assert "did not finish within the function's timeout" in answer["Reason"]
    assert context.get_remaining_time_in_millis() > 10_000


def _secret(client: Any, value: dict[str, Any]) -> str:
    arn: str = client.create_secret(
        Name=f"probe-{uuid.uuid4().hex[:8]}", SecretString=json.dumps(value)
    )["ARN"]
    return arn


def test_create_and_update_migrate_then_make_the_login_role_the_functions_use(
    monkeypatch: pytest.MonkeyPatch,
    cloudformation: tuple[str, list[dict[str, Any]]],
    password_postgres: PasswordPostgres,
    powertools_on_moto: Any,
) -> None:
    url, received = cloudformation
    # GIVEN the master secret (the migrate function's) and the application's login secret
    username = f"mm_service_{uuid.uuid4().hex[:6]}"
    master = _secret(powertools_on_moto, password_postgres.secret("postgres", "unused"))
    login = password_postgres.secret(username, "generated-by-secrets-manager")
    login_arn = _secret(powertools_on_moto, {"username": username, "password": login["password"]})
    env = {
        **ENV,
        "MEMORY_DATABASE_SECRET_ARN": master,
        "MEMORY_DATABASE_LOGIN_SECRET_ARN": login_arn,
    }
    migrate_fn = load_function("migrate", monkeypatch, env)
    # WHEN CloudFormation creates the resource, then updates it (the next deploy)
    for request in ("Create", "Update"):
        result = migrate_fn.lambda_handler(_event(request, url), LocalLambdaContext("migrate"))
        # THEN each run succeeds and names the role it made or kept in line
        assert result["Status"] == "SUCCESS", result
        assert result["Data"]["LoginRole"] == username
    assert [a["Status"] for a in received] == ["SUCCESS", "SUCCESS"]
    # an operator's direct invocation (docs/RUNBOOK.md) realigns the role the same way
    direct = migrate_fn.lambda_handler({}, LocalLambdaContext("migrate"))
    assert direct == {"applied": [], "login_role": username}
    # and the functions can log in with the login secret, as the application role
    with psycopg.connect(database_url_from_secret(login)) as conn:
        row = conn.execute("select session_user, current_user").fetchone()
    assert row == (username, "memory_mesh_app")


def test_a_login_secret_that_names_no_usable_role_is_answered_failed(
    monkeypatch: pytest.MonkeyPatch,
    cloudformation: tuple[str, list[dict[str, Any]]],
    password_postgres: PasswordPostgres,
    powertools_on_moto: Any,
) -> None:
    url, received = cloudformation
    master = _secret(powertools_on_moto, password_postgres.secret("postgres", "unused"))
    login_arn = _secret(powertools_on_moto, {"username": "memory_mesh_app", "password": "pw"})
    env = {
        **ENV,
        "MEMORY_DATABASE_SECRET_ARN": master,
        "MEMORY_DATABASE_LOGIN_SECRET_ARN": login_arn,
    }
    migrate_fn = load_function("migrate", monkeypatch, env)
    result = migrate_fn.lambda_handler(_event("Create", url), LocalLambdaContext("migrate"))
    assert result["Status"] == "FAILED"
    (answer,) = received
    assert "MEMORY_DATABASE_LOGIN_SECRET_ARN" in answer["Reason"]
