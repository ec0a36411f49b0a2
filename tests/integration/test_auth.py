"""Identity over HTTP on the real database and Redis: sessions, keys, refusals, scopes."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import timedelta

import httpx
import jwt
from fastapi import FastAPI

from memory_mesh.runtime import Runtime
from memory_mesh.services.tokens import TokenIssuer
from tests.conftest import JWT_SECRET, PASSWORD, http_client


async def _register_and_login(http: httpx.AsyncClient) -> tuple[dict[str, str], str]:
    tenant = f"t-{uuid.uuid4().hex[:10]}"
    creds = {"email": f"{tenant}@example.com", "password": PASSWORD}
    made = await http.post("/v1/auth/register", json={**creds, "tenant_id": tenant})
    assert made.status_code == 201, made.text
    tokens = await http.post("/v1/auth/login", json=creds)
    assert tokens.status_code == 200, tokens.text
    return tokens.json(), tenant


async def test_the_whole_auth_flow(app: FastAPI) -> None:
    async with http_client(app) as http:
        tokens, tenant = await _register_and_login(http)
        bearer = {"authorization": f"Bearer {tokens['access_token']}"}
        me = (await http.get("/v1/auth/me", headers=bearer)).json()
        assert me["kind"] == "user"
        assert me["tenants"] == [
            {"tenant_id": tenant, "scopes": ["admin", "read", "write"], "role": "admin"}
        ]
        created = await http.post(
            "/v1/auth/api-keys", headers=bearer, json={"name": "bot", "scopes": ["read"]}
        )
        assert created.status_code == 201, created.text
        key = created.json()["key"]
        assert key.startswith("mm_") and created.json()["prefix"] == key[:10]
        listed = (await http.get("/v1/auth/api-keys", headers=bearer)).json()
        assert [k["id"] for k in listed] == [created.json()["id"]]
        assert "key" not in listed[0] and key not in json.dumps(listed)

        as_key = {"x-api-key": key}
        me_key = (await http.get("/v1/auth/me", headers=as_key)).json()
        assert me_key["kind"] == "api_key" and me_key["tenants"][0]["scopes"] == ["read"]
        assert (await http.get("/v1/conversations", headers=as_key)).status_code == 200
        # a read-only key cannot write
        write = await http.post("/v1/conversations", headers=as_key, json={"title": "x"})
        assert write.status_code == 403 and write.json()["code"] == "insufficient_scope"

        revoked = await http.delete(f"/v1/auth/api-keys/{created.json()['id']}", headers=bearer)
        assert revoked.status_code == 204
        after = await http.get("/v1/conversations", headers=as_key)
        assert after.status_code == 401 and after.json()["code"] == "invalid_api_key"


async def test_a_member_added_to_a_tenant_may_use_it_at_once(app: FastAPI) -> None:
    """Who a token is stays cached a few seconds; a membership granted in this process
    is seen at once all the same."""
    async with http_client(app) as http:
        admin_tokens, tenant = await _register_and_login(http)
        member_tokens, _ = await _register_and_login(http)
        admin = {"authorization": f"Bearer {admin_tokens['access_token']}"}
        member = {"authorization": f"Bearer {member_tokens['access_token']}"}
        before = await http.get("/v1/conversations", params={"tenant_id": tenant}, headers=member)
        assert before.status_code == 403  # and the member's principal is now cached
        me = (await http.get("/v1/auth/me", headers=member)).json()
        added = await http.post(
            f"/v1/auth/tenants/{tenant}/members",
            headers=admin,
            json={"email": me["email"], "role": "member"},
        )
        assert added.status_code == 204, added.text
        after = await http.get("/v1/conversations", params={"tenant_id": tenant}, headers=member)
        assert after.status_code == 200, after.text


async def test_signing_in_again_sees_a_membership_granted_by_another_process(
    app: FastAPI, database_url: str
) -> None:
    """Another process's grant (here: straight into the database) reaches a cached
    principal at the next sign-in, without waiting for the cache's TTL."""
    import psycopg

    async with http_client(app) as http:
        tokens, _ = await _register_and_login(http)
        _, other_tenant = await _register_and_login(http)
        bearer = {"authorization": f"Bearer {tokens['access_token']}"}
        me = (await http.get("/v1/auth/me", headers=bearer)).json()  # cached now
        with psycopg.connect(database_url, autocommit=True) as conn:
            conn.execute(
                "insert into tenant_members (tenant_id, user_id, role) values (%s, %s, 'member')",
                [other_tenant, me["id"]],
            )
        again = await http.post("/v1/auth/login", json={"email": me["email"], "password": PASSWORD})
        fresh = {"authorization": f"Bearer {again.json()['access_token']}"}
        listed = await http.get(
            "/v1/conversations", params={"tenant_id": other_tenant}, headers=fresh
        )
        assert listed.status_code == 200, listed.text


async def test_refresh_rotates_and_a_reused_token_revokes_the_session(app: FastAPI) -> None:
    async with http_client(app) as http:
        tokens, _ = await _register_and_login(http)
        first = await http.post("/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
        assert first.status_code == 200
        rotated = first.json()["refresh_token"]
        assert rotated != tokens["refresh_token"]
        replay = await http.post(
            "/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]}
        )
        assert replay.status_code == 401 and replay.json()["code"] == "refresh_token_reused"
        # the thief's replay revoked the family: the rotated token is dead too
        stolen = await http.post("/v1/auth/refresh", json={"refresh_token": rotated})
        assert stolen.status_code == 401


def _tamper(token: str) -> str:
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "==="))
    claims["sub"] = str(uuid.uuid4())
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
    return f"{header}.{forged}.{signature}"


async def test_bad_credentials_are_all_refused(app: FastAPI, runtime: Runtime) -> None:
    async with http_client(app) as http:
        tokens, _ = await _register_and_login(http)
        good = tokens["access_token"]
        user_id = jwt.decode(good, options={"verify_signature": False})["sub"]
        expired, _ = TokenIssuer(JWT_SECRET, timedelta(seconds=-60)).access_token(
            uuid.UUID(user_id)
        )
        wrong_secret, _ = TokenIssuer("another-" + "s" * 40, timedelta(minutes=5)).access_token(
            uuid.UUID(user_id)
        )
        alg_none = jwt.encode(
            {"sub": user_id, "type": "access", "iss": "memory-mesh", "iat": 1, "exp": 2**32},
            None,
            algorithm="none",
        )
        cases = {
            "expired": (f"Bearer {expired}", "token_expired"),
            "tampered": (f"Bearer {_tamper(good)}", "invalid_token"),
            "alg none": (f"Bearer {alg_none}", "invalid_token"),
            "wrong secret": (f"Bearer {wrong_secret}", "invalid_token"),
            "refresh token as access": (f"Bearer {tokens['refresh_token']}", "invalid_token"),
            "garbage": ("Bearer not.a.jwt", "invalid_token"),
        }
        for name, (header, code) in cases.items():
            response = await http.get("/v1/auth/me", headers={"authorization": header})
            assert response.status_code == 401, name
            assert response.json()["code"] == code, name
        anonymous = await http.get("/v1/conversations")
        assert anonymous.status_code == 401 and anonymous.json()["code"] == "not_authenticated"
        assert anonymous.headers["www-authenticate"] == "Bearer"
        bad_key = await http.get("/v1/conversations", headers={"x-api-key": "mm_nope"})
        assert bad_key.status_code == 401 and bad_key.json()["code"] == "invalid_api_key"
        assert (
            await http.get("/v1/auth/me", headers={"authorization": f"Bearer {good}"})
        ).status_code == 200


async def test_passwords_are_checked_and_hashed(app: FastAPI, runtime: Runtime) -> None:
    async with http_client(app) as http:
        weak = await http.post(
            "/v1/auth/register", json={"email": "weak@example.com", "password": "short"}
        )
        assert weak.status_code == 422 and weak.json()["code"] == "weak_password"
        common = await http.post(
            "/v1/auth/register", json={"email": "c@example.com", "password": "password1234"}
        )
        assert common.json()["code"] == "weak_password"
        _tokens, tenant = await _register_and_login(http)
        again = await http.post(
            "/v1/auth/register", json={"email": f"{tenant}@EXAMPLE.com", "password": PASSWORD}
        )
        assert again.status_code == 409 and again.json()["code"] == "email_taken"
    async with runtime.db.system() as conn:
        cur = await conn.execute(
            "select password_hash from users where lower(email) = %s", [f"{tenant}@example.com"]
        )
        row = await cur.fetchone()
    assert row is not None and row["password_hash"].startswith("$argon2id$")
    assert PASSWORD not in row["password_hash"]


async def test_repeated_failed_logins_are_throttled(app: FastAPI) -> None:
    async with http_client(app) as http:
        _tokens, tenant = await _register_and_login(http)
        email = f"{tenant}@example.com"
        for _ in range(5):
            bad = await http.post("/v1/auth/login", json={"email": email, "password": "wrong" * 4})
            assert bad.status_code == 401 and bad.json()["code"] == "invalid_credentials"
        blocked = await http.post("/v1/auth/login", json={"email": email, "password": PASSWORD})
        assert blocked.status_code == 429
        assert blocked.json()["code"] == "too_many_login_attempts"
        assert int(blocked.headers["retry-after"]) > 0
        # an unknown account answers exactly like a wrong password
        ghost = await http.post(
            "/v1/auth/login", json={"email": "ghost@example.com", "password": PASSWORD}
        )
        assert ghost.status_code == 401 and ghost.json()["code"] == "invalid_credentials"


async def test_api_keys_and_refresh_tokens_are_stored_only_as_hashes(
    app: FastAPI, runtime: Runtime
) -> None:
    async with http_client(app) as http:
        tokens, _ = await _register_and_login(http)
        bearer = {"authorization": f"Bearer {tokens['access_token']}"}
        key = (await http.post("/v1/auth/api-keys", headers=bearer, json={"name": "k"})).json()
    async with runtime.db.system() as conn:
        keys = await (await conn.execute("select * from api_keys")).fetchall()
        refresh = await (await conn.execute("select * from refresh_tokens")).fetchall()
    dumped = json.dumps([keys, refresh], default=str)
    assert key["key"] not in dumped and tokens["refresh_token"] not in dumped


async def test_tenant_admins_add_members_who_then_see_the_tenant(app: FastAPI) -> None:
    async with http_client(app) as http:
        owner, tenant = await _register_and_login(http)
        guest, guest_tenant = await _register_and_login(http)
        owner_h = {"authorization": f"Bearer {owner['access_token']}"}
        guest_h = {"authorization": f"Bearer {guest['access_token']}"}
        refused = await http.get("/v1/conversations", params={"tenant_id": tenant}, headers=guest_h)
        assert refused.status_code == 403
        added = await http.post(
            f"/v1/auth/tenants/{tenant}/members",
            headers=owner_h,
            json={"email": f"{guest_tenant}@example.com"},
        )
        assert added.status_code == 204, added.text
        ok = await http.get("/v1/conversations", params={"tenant_id": tenant}, headers=guest_h)
        assert ok.status_code == 200
        # a member (not admin) cannot make keys; two tenants now: tenant_id is required
        keys = await http.post(
            "/v1/auth/api-keys", headers=guest_h, json={"tenant_id": tenant, "name": "x"}
        )
        assert keys.status_code == 403 and keys.json()["code"] == "insufficient_scope"
        ambiguous = await http.get("/v1/conversations", headers=guest_h)
        assert ambiguous.status_code == 422 and ambiguous.json()["code"] == "tenant_required"


async def test_browser_sessions_keep_the_refresh_token_in_an_httponly_cookie(
    app: FastAPI,
) -> None:
    async with http_client(app) as http:
        _, tenant = await _register_and_login(http)
        creds = {"email": f"{tenant}@example.com", "password": PASSWORD, "use_cookie": True}
        login = await http.post("/v1/auth/login", json=creds)
        assert login.status_code == 200 and login.json()["refresh_token"] is None
        cookie = login.headers["set-cookie"]
        assert "mm_refresh=" in cookie and "HttpOnly" in cookie
        assert "SameSite=strict" in cookie and "Path=/v1/auth" in cookie
        first = http.cookies.get("mm_refresh")
        refreshed = await http.post("/v1/auth/refresh", json={})
        assert refreshed.status_code == 200 and refreshed.json()["refresh_token"] is None
        assert http.cookies.get("mm_refresh") not in (None, first)  # rotated in the cookie
        out = await http.post("/v1/auth/logout", json={})
        assert out.status_code == 204
        http.cookies.clear()
        gone = await http.post("/v1/auth/refresh", json={})
        assert gone.status_code == 401
