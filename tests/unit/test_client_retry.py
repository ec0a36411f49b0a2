"""The Python client's retry rule and error mapping (pure logic; the behaviour against a
real server is in tests/clients)."""

from __future__ import annotations

import httpx

from memory_mesh_client import RetryPolicy
from memory_mesh_client._core import Call
from memory_mesh_client.errors import (
    BadRequest,
    Conflict,
    MemoryMeshError,
    RateLimited,
    ServerError,
    error_from_response,
)

POLICY = RetryPolicy(attempts=3, backoff_base=0.5, backoff_max=1.0, max_retry_after=10)


def answer(status: int, retry_after: str | None = None, body: object = None) -> httpx.Response:
    headers = {"retry-after": retry_after} if retry_after is not None else {}
    return httpx.Response(status, headers=headers, json=body)


def test_429_waits_exactly_what_retry_after_says() -> None:
    assert POLICY.delay(1, answer(429, "7")) == 7.0


def test_a_retry_after_beyond_the_cap_stops_instead_of_waiting() -> None:
    assert POLICY.delay(1, answer(429, "11")) is None


def test_503_and_lost_connections_back_off_within_the_exponential_bound() -> None:
    for attempt, bound in ((1, 0.5), (2, 1.0)):
        for _ in range(50):
            delay = POLICY.delay(attempt, answer(503) if attempt == 1 else None)
            assert delay is not None and 0 <= delay <= bound


def test_a_busy_idempotency_key_is_retried_other_409s_are_not() -> None:
    assert POLICY.delay(1, answer(409, "1")) == 1.0
    assert POLICY.delay(1, answer(409)) is None


def test_client_errors_are_not_retried_and_attempts_are_bounded() -> None:
    for status in (400, 401, 403, 404, 422, 500):
        assert POLICY.delay(1, answer(status)) is None
    assert POLICY.delay(3, answer(503)) is None
    assert POLICY.delay(3, None) is None


def test_every_write_gets_its_own_idempotency_key_and_reads_none() -> None:
    first = Call("POST", "/v1/messages", read=lambda r: None)
    second = Call("POST", "/v1/messages", read=lambda r: None)
    assert first.idempotency_key and second.idempotency_key
    assert first.idempotency_key != second.idempotency_key
    assert Call("GET", "/v1/conversations", read=lambda r: None).idempotency_key is None


def test_errors_carry_the_servers_code_message_request_id_and_details() -> None:
    body = {
        "code": "content_empty",
        "message": "content: must not be empty",
        "request_id": "r-1",
        "details": [{"field": "content", "problem": "empty"}],
    }
    error = error_from_response(answer(422, body=body))
    assert isinstance(error, BadRequest)
    assert (error.code, error.status, error.request_id) == ("content_empty", 422, "r-1")
    assert error.details == [{"field": "content", "problem": "empty"}]
    assert "content_empty" in str(error) and "r-1" in str(error)
    limited = error_from_response(answer(429, "3", {"code": "rate_limited", "message": "slow"}))
    assert isinstance(limited, RateLimited) and limited.retry_after == 3.0
    assert isinstance(error_from_response(answer(409, body={"code": "x"})), Conflict)
    unknown = error_from_response(httpx.Response(502, text="<html>bad gateway</html>"))
    assert isinstance(unknown, ServerError) and unknown.code == "http_502"
    assert isinstance(error_from_response(answer(418, body={})), MemoryMeshError)
