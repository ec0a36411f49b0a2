"""Database migrations at deploy time, as a CloudFormation custom resource.

CloudFormation sends Create / Update (whenever the layer changes, since the template
passes the layer's version as a property) and Delete. Create and Update apply the
pending migrations, then create or update the application's login role from its secret
(store/login_role.py; the functions log in as it, never as the master user); Delete
keeps the data and the role and only answers. The answer is a PUT of a
JSON document to the pre-signed ``ResponseURL`` (through the VPC's S3 gateway endpoint);
without it the stack would wait an hour. A direct invocation (no ``RequestType``)
just migrates and returns the versions applied.

CloudFormation is ALWAYS answered: settings are loaded inside the error handling (a bad
variable or an unreadable secret answers FAILED, and Delete needs no settings at all),
and the migration runs in a worker thread that the handler stops waiting for
``answer_margin_ms`` before the function's deadline, answering FAILED in time. Each
migration is one transaction, so one cut short by the timeout leaves the schema at the
previous version and the next deploy applies it again.
"""

from __future__ import annotations

import json
import logging
import threading
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from memory_mesh.cloud.lambda_logging import route_service_logs, running_in_lambda
from memory_mesh.config import Settings
from memory_mesh.store.login_role import LoginRole, ensure_login_role
from memory_mesh.store.migrations import migrate

log = logging.getLogger(__name__)

PHYSICAL_ID = "memory-mesh-schema"
ANSWER_MARGIN_MS = 15_000  # time kept to answer: the PUT's own timeout is 10 s
PUT_TIMEOUT_SECONDS = 10.0

SettingsLoader = Callable[[], Settings]
LoginRoleLoader = Callable[[], LoginRole | None]


def _no_login_role() -> LoginRole | None:
    return None


@dataclass
class Outcome:
    status: str  # SUCCESS or FAILED
    reason: str
    data: dict[str, Any] = field(default_factory=dict)


def handle_migration(
    event: dict[str, Any],
    context: Any,
    load_settings: SettingsLoader,
    *,
    load_login_role: LoginRoleLoader = _no_login_role,
    answer_margin_ms: int = ANSWER_MARGIN_MS,
) -> dict[str, Any]:
    """Run the migrations for a custom-resource (or direct) event and report the result.

    ``load_settings`` and ``load_login_role`` are called here, not at import, so that
    their failures are answered too.
    """
    if running_in_lambda():
        route_service_logs("INFO")  # MEMORY_LOG_LEVEL once the settings are loaded
    request_type = event.get("RequestType")
    if request_type is None:
        applied, login = _run(load_settings, load_login_role)
        return {"applied": applied, "login_role": login}
    if request_type in ("Create", "Update"):
        outcome = _before_deadline(
            lambda: _apply(load_settings, load_login_role), context, answer_margin_ms
        )
    else:  # Delete: the data stays; nothing to load, nothing that can fail
        outcome = Outcome("SUCCESS", "ok")
    send_response(event, context, status=outcome.status, reason=outcome.reason, data=outcome.data)
    return {"Status": outcome.status, "Reason": outcome.reason, "Data": outcome.data}


def _loaded(load_settings: SettingsLoader) -> Settings:
    settings = load_settings()
    if running_in_lambda():
        route_service_logs(settings.log_level)
    return settings


def _run(load_settings: SettingsLoader, load_login_role: LoginRoleLoader) -> tuple[list[int], str]:
    """Migrate, then create or update the login role: (versions applied, role or "none")."""
    settings = _loaded(load_settings)
    login = load_login_role()
    applied = _migrate(settings)
    if login is None:
        return applied, "none"
    assert settings.database_url is not None  # _migrate refused to run without one
    # after the migrations: the role is granted the group roles they create
    ensure_login_role(settings.database_url, login)
    return applied, login.username


def _apply(load_settings: SettingsLoader, load_login_role: LoginRoleLoader) -> dict[str, Any]:
    applied, login = _run(load_settings, load_login_role)
    return {"Applied": ",".join(str(v) for v in applied) or "none", "LoginRole": login}


def _before_deadline(
    work: Callable[[], dict[str, Any]], context: Any, answer_margin_ms: int
) -> Outcome:
    """``work``'s outcome, or FAILED once only ``answer_margin_ms`` of the invocation is
    left (``context.get_remaining_time_in_millis``), whichever comes first."""
    outcomes: list[Outcome] = []

    def run() -> None:
        try:
            outcomes.append(Outcome("SUCCESS", "ok", work()))
        except Exception as exc:  # report every failure, or CloudFormation hangs for an hour
            log.exception("migration failed")
            outcomes.append(Outcome("FAILED", f"{type(exc).__name__}: {exc}"[:900]))

    worker = threading.Thread(target=run, name="migrate", daemon=True)
    worker.start()
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    budget = None if remaining is None else max(0, remaining() - answer_margin_ms) / 1000
    worker.join(budget)
    if outcomes:
        return outcomes[0]
    log.error("migration still running %.0f s before the function's timeout", answer_margin_ms)
    return Outcome(
        "FAILED",
        f"the migration did not finish within the function's timeout "
        f"(answered {answer_margin_ms // 1000} s before it); the schema is unchanged "
        "past the last completed migration",
    )


def _migrate(settings: Settings) -> list[int]:
    if not settings.database_url:
        raise RuntimeError("no database: set MEMORY_DATABASE_SECRET_ARN or MEMORY_DATABASE_URL")
    return migrate(settings.database_url, dimensions=settings.embedding_dimensions)


def send_response(
    event: dict[str, Any], context: Any, *, status: str, reason: str, data: dict[str, Any]
) -> None:
    log_stream = getattr(context, "log_stream_name", "") or ""
    body = json.dumps(
        {
            "Status": status,
            "Reason": f"{reason} (log stream {log_stream})" if log_stream else reason,
            "PhysicalResourceId": event.get("PhysicalResourceId") or PHYSICAL_ID,
            "StackId": event["StackId"],
            "RequestId": event["RequestId"],
            "LogicalResourceId": event["LogicalResourceId"],
            "NoEcho": False,
            "Data": data,
        }
    ).encode()
    request = urllib.request.Request(
        event["ResponseURL"],
        data=body,
        method="PUT",
        headers={"Content-Type": "", "Content-Length": str(len(body))},
    )
    with urllib.request.urlopen(request, timeout=PUT_TIMEOUT_SECONDS) as answer:
        log.info("custom resource answered %s: HTTP %s", status, answer.status)
