"""Tenants on first use: a signed-in user naming a tenant id nobody holds becomes its
admin; a tenant that exists stays 403; racing claimants get exactly one winner; API keys
never claim; the setting turns claiming off with a 403 that says how tenants are made."""

from __future__ import annotations

import asyncio
import uuid

import httpx
from fastapi import FastAPI

from memory_mesh.embeddings import Embedder
from memory_mesh.http.app import create_app
from memory_mesh.runtime import Runtime
from tests.conftest import PASSWORD, RedisServer, http_client, make_settings, make_tenant


async def signed_in(http: httpx.AsyncClient) -> dict[str, str]:
    """A new account (with its personal tenant) and its bearer header."""
    email = f"u-{uuid.uuid4().hex[:12]}@example.com"
    made = await http.post("/v1/auth/register", json={"email": email, "password": PASSWORD})
    assert made.status_code == 201, made.text
    tokens = await http.post("/v1/auth/login", json={"email": email, "password": PASSWORD})
    assert tokens.status_code == 200, tokens.text
    return {"authorization": f"Bearer {tokens.json()['access_token']}"}


def fresh_tenant_id() -> str:
    return f"my-app-{uuid.uuid4().hex[:8]}"


async def test_naming_an_unknown_tenant_makes_the_user_its_admin_in_the_same_session(
    app: FastAPI,
) -> None:
    tenant = fresh_tenant_id()
    async with http_client(app) as http:
        bearer = await signed_in(http)
        searched = await http.get(
            "/v1/memory/search", params={"tenant_id": tenant, "query": "Python"}, headers=bearer
        )
        assert searched.status_code == 200, searched.text
        assert searched.json()["results"] == []
        # the same access token, no new login: the tenant is held, as admin
        me = (await http.get("/v1/auth/me", headers=bearer)).json()
        held = {t["tenant_id"]: t["role"] for t in me["tenants"]}
        assert held[tenant] == "admin" and len(held) == 2  # and the personal one
        conv = await http.post("/v1/conversations", headers=bearer, json={"tenant_id": tenant})
        assert conv.status_code == 201, conv.text
        key = await http.post(
            "/v1/auth/api-keys", headers=bearer, json={"tenant_id": tenant, "name": "bot"}
        )
        assert key.status_code == 201 and key.json()["tenant_id"] == tenant


async def test_a_write_naming_an_unknown_tenant_claims_it_and_stores(app: FastAPI) -> None:
    tenant = fresh_tenant_id()
    async with http_client(app) as http:
        bearer = await signed_in(http)
        made = await http.post("/v1/conversations", headers=bearer, json={"tenant_id": tenant})
    assert made.status_code == 201, made.text
    assert made.json()["tenant_id"] == tenant


async def test_an_existing_tenant_is_never_claimed(app: FastAPI, runtime: Runtime) -> None:
    victim, victim_key = await make_tenant(runtime)
    async with http_client(app, victim_key) as v:
        conv = (await v.post("/v1/conversations", json={"title": "mine"})).json()["id"]
    before = await _rows(runtime, victim)
    async with http_client(app) as http:
        bearer = await signed_in(http)
        for method, path, kwargs in (
            ("GET", "/v1/memory/search", {"params": {"tenant_id": victim, "query": "mine"}}),
            ("GET", "/v1/conversations", {"params": {"tenant_id": victim}}),
            ("POST", "/v1/conversations", {"json": {"tenant_id": victim, "title": "x"}}),
            ("POST", "/v1/auth/api-keys", {"json": {"tenant_id": victim, "name": "steal"}}),
        ):
            answer = await http.request(method, path, headers=bearer, **kwargs)
            assert answer.status_code == 403, (path, answer.text)
            assert answer.json()["code"] == "tenant_forbidden"
        me = (await http.get("/v1/auth/me", headers=bearer)).json()
    assert victim not in {t["tenant_id"] for t in me["tenants"]}
    assert await _rows(runtime, victim) == before
    async with http_client(app, victim_key) as v:
        assert (await v.get(f"/v1/conversations/{conv}")).json()["title"] == "mine"


async def test_racing_claimants_get_exactly_one_winner(app: FastAPI, runtime: Runtime) -> None:
    async with http_client(app) as http:
        users = [await signed_in(http) for _ in range(4)]
        for _round in range(3):
            tenant = fresh_tenant_id()
            answers = await asyncio.gather(
                *(
                    http.post("/v1/conversations", headers=u, json={"tenant_id": tenant})
                    for u in users
                )
            )
            codes = sorted(a.status_code for a in answers)
            assert codes == [201, 403, 403, 403], [a.text for a in answers]
            assert all(
                a.json()["code"] == "tenant_forbidden" for a in answers if a.status_code == 403
            )
            async with runtime.db.system() as conn:
                cur = await conn.execute(
                    "select count(*) as n from tenant_members where tenant_id = %s", [tenant]
                )
                assert await cur.fetchone() == {"n": 1}
            assert await _rows(runtime, tenant) == (0, 1)


async def test_an_api_key_naming_another_tenant_never_claims(
    app: FastAPI, runtime: Runtime
) -> None:
    _own, key = await make_tenant(runtime)
    tenant = fresh_tenant_id()
    async with http_client(app, key) as http:
        answer = await http.post("/v1/conversations", json={"tenant_id": tenant})
    assert answer.status_code == 403 and answer.json()["code"] == "tenant_forbidden"
    async with runtime.db.system() as conn:
        cur = await conn.execute("select count(*) as n from tenants where id = %s", [tenant])
        assert await cur.fetchone() == {"n": 0}


async def test_a_malformed_or_personal_tenant_id_is_not_claimed(
    app: FastAPI, runtime: Runtime
) -> None:
    async with http_client(app) as http:
        bearer = await signed_in(http)
        personal = await http.post(
            "/v1/conversations", headers=bearer, json={"tenant_id": "t-0123456789ab"}
        )
        malformed = await http.get(
            "/v1/conversations", headers=bearer, params={"tenant_id": "-bad id"}
        )
    # a personal id answers like an existing tenant not held, whether it exists or not
    assert personal.status_code == 403 and personal.json()["code"] == "tenant_forbidden"
    assert malformed.status_code == 422
    async with runtime.db.system() as conn:
        cur = await conn.execute("select count(*) as n from tenants where id = 't-0123456789ab'")
        assert await cur.fetchone() == {"n": 0}


async def test_with_open_claiming_off_the_403_says_how_a_tenant_is_created(
    database_url: str, local_embedder: Embedder, redis_server: RedisServer
) -> None:
    settings = make_settings(database_url, redis_url=redis_server.url, tenant_open_claim=False)
    runtime = await Runtime.start(settings, embedder=local_embedder, run_worker=False)
    try:
        closed = create_app(runtime.settings)
        closed.state.runtime = runtime
        tenant = fresh_tenant_id()
        async with http_client(closed) as http:
            bearer = await signed_in(http)
            refused = await http.post(
                "/v1/conversations", headers=bearer, json={"tenant_id": tenant}
            )
            made = await http.post("/v1/auth/tenants", headers=bearer, json={"tenant_id": tenant})
            then = await http.post("/v1/conversations", headers=bearer, json={"tenant_id": tenant})
        assert refused.status_code == 403 and refused.json()["code"] == "tenant_forbidden"
        assert "POST /v1/auth/tenants" in refused.json()["message"]
        assert made.status_code == 201 and then.status_code == 201
    finally:
        await runtime.stop()


async def _rows(runtime: Runtime, tenant: str) -> tuple[int, int]:
    async with runtime.db.system() as conn:
        cur = await conn.execute(
            "select (select count(*) from messages where tenant_id = %(t)s) as m,"
            " (select count(*) from conversations where tenant_id = %(t)s) as c",
            {"t": tenant},
        )
        row = await cur.fetchone()
    assert row is not None
    return int(row["m"]), int(row["c"])
