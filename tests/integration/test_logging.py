"""Structured logs: one JSON access line per request with the request id, tenant and
latency — and never a credential, whatever the caller sent."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI

from memory_mesh.config import Settings
from memory_mesh.http.context import request_id_var
from memory_mesh.observability.logs import (
    JsonFormatter,
    TextFormatter,
    configure_logging,
    log_format,
    redact,
)
from memory_mesh.runtime import Runtime
from tests.conftest import PASSWORD, http_client, make_tenant


@pytest.fixture
def log_lines() -> Iterator[io.StringIO]:
    """Every record of the process, formatted as JSON, into a buffer."""
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    try:
        yield buffer
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


def _parsed(buffer: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in buffer.getvalue().splitlines()]


def _access(lines: list[dict[str, Any]], request_id: str) -> dict[str, Any]:
    found = [
        x
        for x in lines
        if x["logger"] == "memory_mesh.access" and x.get("request_id") == request_id
    ]
    assert len(found) == 1, (request_id, lines)
    return found[0]


async def test_each_request_logs_one_json_line_with_request_id_tenant_and_latency_and_no_secret(
    app: FastAPI, runtime: Runtime, log_lines: io.StringIO
) -> None:
    tenant, key = await make_tenant(runtime)
    email = f"{tenant}@example.com"
    async with http_client(app) as http:
        login = await http.post("/v1/auth/login", json={"email": email, "password": PASSWORD})
        assert login.status_code == 200
        access, refresh = login.json()["access_token"], login.json()["refresh_token"]
        with_key = await http.get("/v1/conversations", headers={"x-api-key": key})
        with_token = await http.get(
            "/v1/conversations",
            params={"tenant_id": tenant},
            headers={"authorization": f"Bearer {access}", "x-request-id": "trace-me-42"},
        )
        # credentials in places they do not belong: a query string, a wrong header
        in_query = await http.get(f"/v1/conversations?api_key={key}&access_token={access}")
        refused = await http.get("/v1/conversations", headers={"x-api-key": key + "x"})
        refreshed = await http.post("/v1/auth/refresh", json={"refresh_token": refresh})
    assert with_key.status_code == with_token.status_code == 200
    assert in_query.status_code == refused.status_code == 401
    assert refreshed.status_code == 200
    lines = _parsed(log_lines)  # every line is one JSON object

    line = _access(lines, with_key.headers["x-request-id"])
    assert line["method"] == "GET" and line["route"] == "/v1/conversations"
    assert line["status"] == 200
    assert isinstance(line["latency_ms"], float) and line["latency_ms"] > 0
    assert line["tenant_id"] == tenant
    assert line["principal_kind"] == "api_key"
    assert line["level"] == "INFO" and line["ts"].endswith("+00:00")

    token_line = _access(lines, "trace-me-42")  # the client's request id is kept
    assert token_line["tenant_id"] == tenant and token_line["principal_kind"] == "user"
    assert token_line["path"] == "/v1/conversations"  # never the query string

    refused_line = _access(lines, refused.headers["x-request-id"])
    assert refused_line["status"] == 401 and refused_line["tenant_id"] is None

    login_line = _access(lines, login.headers["x-request-id"])
    assert login_line["route"] == "/v1/auth/login" and login_line["method"] == "POST"

    text = log_lines.getvalue()
    for secret in (key, access, refresh, refreshed.json()["refresh_token"], PASSWORD):
        assert secret not in text
    assert "api_key=" not in text or "api_key=[redacted]" in text


async def test_an_unmatched_path_is_logged_without_its_query_string(
    app: FastAPI, log_lines: io.StringIO
) -> None:
    async with http_client(app) as http:
        response = await http.get("/v1/nothing-here?token=abcdef123456")
    assert response.status_code == 404
    line = _access(_parsed(log_lines), response.headers["x-request-id"])
    assert line["route"] == "unmatched" and line["path"] == "/v1/nothing-here"
    assert "abcdef123456" not in log_lines.getvalue()


def test_redact_removes_shapes_of_credentials() -> None:
    api_key = "mm_" + "A1b2C3d4" * 5
    jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJlLXNpZ25hdHVyZQ"
    text = (
        f"key {api_key} token {jwt} Authorization: Bearer abc.def "
        "redis://user:hunter2@cache:6379/0 url?access_token=s3cret&x=1"
    )
    cleaned = redact(text)
    for secret in (api_key, jwt, "abc.def", "hunter2", "s3cret"):
        assert secret not in cleaned
    assert "redis://user:[redacted]@cache:6379/0" in cleaned
    assert "x=1" in cleaned
    assert redact("prefix mm_AbCdEfG is fine") == "prefix mm_AbCdEfG is fine"  # a key's prefix


def _record(message: str, **extra: Any) -> logging.LogRecord:
    record = logging.LogRecord("memory_mesh.test", logging.WARNING, __file__, 1, message, (), None)
    record.__dict__.update(extra)
    return record


def test_json_and_text_lines_carry_the_request_id_and_extra_fields() -> None:
    token = request_id_var.set("rid-1")
    try:
        as_json = json.loads(JsonFormatter().format(_record("hello", tenant_id="t-1")))
        as_text = TextFormatter().format(_record("hello", tenant_id="t-1"))
    finally:
        request_id_var.reset(token)
    assert as_json["request_id"] == "rid-1" and as_json["tenant_id"] == "t-1"
    assert as_json["message"] == "hello" and as_json["logger"] == "memory_mesh.test"
    assert as_text.endswith("WARNING memory_mesh.test: hello request_id=rid-1 tenant_id=t-1")


def test_the_log_format_is_text_in_development_and_json_elsewhere() -> None:
    assert log_format(Settings(environment="development")) == "text"
    production = Settings(environment="production", jwt_secret_key="k" * 40)  # type: ignore[arg-type]
    assert log_format(production) == "json"
    assert log_format(Settings(environment="development", log_format="json")) == "json"


def test_configure_logging_replaces_its_own_handler() -> None:
    root = logging.getLogger()
    level = root.level
    stream = io.StringIO()
    settings = Settings(environment="development", log_format="json")
    try:
        configure_logging(settings, stream)
        configure_logging(settings, stream)
        ours = [h for h in root.handlers if h.get_name() == "memory-mesh"]
        assert len(ours) == 1
        logging.getLogger("memory_mesh.x").info("one line", extra={"n": 1})
        assert json.loads(stream.getvalue().splitlines()[-1])["n"] == 1
    finally:
        for handler in [h for h in root.handlers if h.get_name() == "memory-mesh"]:
            root.removeHandler(handler)
        root.setLevel(level)
