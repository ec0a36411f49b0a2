"""An exception nothing handled is still a JSON 500 carrying the request id (quoted by
the caller, found in the logs), and the connection is answered, not dropped."""

from __future__ import annotations

import logging

import pytest

from memory_mesh.http.app import create_app
from memory_mesh.runtime import Runtime
from tests.conftest import http_client


async def test_an_unhandled_exception_is_a_500_with_the_request_id(
    runtime: Runtime, caplog: pytest.LogCaptureFixture
) -> None:
    app = create_app(runtime.settings)
    app.state.runtime = runtime

    @app.get("/v1/boom")
    async def boom() -> None:
        raise RuntimeError("a bug")

    with caplog.at_level(logging.ERROR):
        async with http_client(app) as http:
            answer = await http.get("/v1/boom", headers={"x-request-id": "req-boom-1"})
            after = await http.get("/v1/admin/health")
    assert answer.status_code == 500
    assert answer.json() == {
        "code": "internal_error",
        "message": "an unexpected error occurred; quote the request id",
        "request_id": "req-boom-1",
        "details": [],
    }
    assert answer.headers["x-request-id"] == "req-boom-1"
    assert "a bug" not in answer.text
    assert any("unhandled error" in r.getMessage() and r.exc_info for r in caplog.records)
    assert after.status_code == 200
