"""Usernames (the seed README registers with one): optional, validated, unique without
regard to case, shown by /v1/auth/me, and a way to sign in beside the email."""

from __future__ import annotations

import uuid

import httpx
from fastapi import FastAPI

from tests.conftest import http_client

SEED_PASSWORD = "SecurePass123"  # the seed's Quick Start password: 13 characters


def _name() -> str:
    return f"user{uuid.uuid4().hex[:10]}"


async def _register(http: httpx.AsyncClient, **fields: object) -> httpx.Response:
    return await http.post("/v1/auth/register", json={"password": SEED_PASSWORD, **fields})


async def test_the_seed_registration_body_creates_an_account_with_its_username(
    app: FastAPI,
) -> None:
    name = _name()
    email = f"{name}@example.com"
    async with http_client(app) as http:
        made = await _register(http, email=email, username=name)
        assert made.status_code == 201, made.text
        tokens = await http.post("/v1/auth/login", json={"email": email, "password": SEED_PASSWORD})
        assert tokens.status_code == 200, tokens.text
        bearer = {"authorization": f"Bearer {tokens.json()['access_token']}"}
        me = (await http.get("/v1/auth/me", headers=bearer)).json()
    assert me["username"] == name and me["email"] == email


async def test_login_accepts_the_username_in_either_field_and_any_case(app: FastAPI) -> None:
    name = _name()
    async with http_client(app) as http:
        assert (await _register(http, email=f"{name}@example.com", username=name)).is_success
        for body in (
            {"username": name, "password": SEED_PASSWORD},
            {"email": name, "password": SEED_PASSWORD},
            {"username": name.upper(), "password": SEED_PASSWORD},
        ):
            answer = await http.post("/v1/auth/login", json=body)
            assert answer.status_code == 200, (body, answer.text)
        wrong = await http.post("/v1/auth/login", json={"username": name, "password": "x" * 13})
        assert wrong.status_code == 401 and wrong.json()["code"] == "invalid_credentials"
        both = await http.post(
            "/v1/auth/login",
            json={"email": f"{name}@example.com", "username": name, "password": SEED_PASSWORD},
        )
        neither = await http.post("/v1/auth/login", json={"password": SEED_PASSWORD})
    for answer in (both, neither):
        assert answer.status_code == 422 and answer.json()["code"] == "login_required"


async def test_a_username_is_unique_without_regard_to_case(app: FastAPI) -> None:
    name = _name()
    async with http_client(app) as http:
        first = await _register(http, email=f"a-{name}@example.com", username=name)
        again = await _register(http, email=f"b-{name}@example.com", username=name.upper())
        same_email = await _register(http, email=f"a-{name}@example.com", username=_name())
    assert first.status_code == 201
    assert again.status_code == 409 and again.json()["code"] == "username_taken"
    assert same_email.status_code == 409 and same_email.json()["code"] == "email_taken"


async def test_a_malformed_username_is_a_422_that_states_the_rule(app: FastAPI) -> None:
    async with http_client(app) as http:
        for bad in ("ab", "has space", "a@b", "-leading", "x" * 33, "ünï"):
            answer = await _register(http, email=f"{_name()}@example.com", username=bad)
            assert answer.status_code == 422, (bad, answer.text)
            assert answer.json()["code"] == "invalid_username"
            assert "3-32 characters" in answer.json()["message"]


async def test_registration_without_a_username_still_works_and_me_shows_null(
    app: FastAPI,
) -> None:
    email = f"{_name()}@example.com"
    async with http_client(app) as http:
        assert (await _register(http, email=email)).status_code == 201
        tokens = await http.post("/v1/auth/login", json={"email": email, "password": SEED_PASSWORD})
        me = await http.get(
            "/v1/auth/me", headers={"authorization": f"Bearer {tokens.json()['access_token']}"}
        )
    assert me.json()["username"] is None
