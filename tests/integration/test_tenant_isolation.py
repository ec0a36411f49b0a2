"""Tenants never see each other: every endpoint tried with another tenant's ids and names,
and the database itself refusing a query that forgot its tenant filter."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import psycopg
import pytest
from fastapi import FastAPI

from memory_mesh.runtime import Runtime
from tests.conftest import http_client, make_tenant, new_conversation


async def _count_rows(runtime: Runtime, tenant: str) -> tuple[int, int]:
    async with runtime.db.system() as conn:
        cur = await conn.execute(
            "select (select count(*) from messages where tenant_id = %(t)s) as m,"
            " (select count(*) from conversations where tenant_id = %(t)s) as c",
            {"t": tenant},
        )
        row = await cur.fetchone()
    assert row is not None
    return int(row["m"]), int(row["c"])


def _by_name(victim: str, conv: str, mid: str) -> list[tuple[str, str, dict[str, Any]]]:
    """Every kind of request naming the victim's tenant: each must answer 403."""
    return [
        ("GET", "/v1/conversations", {"tenant_id": victim}),
        ("POST", "/v1/conversations", {"tenant_id": victim, "title": "x"}),
        ("GET", "/v1/memory/search", {"tenant_id": victim, "query": "diary"}),
        ("POST", "/v1/memory/search", {"tenant_id": victim, "query": "diary"}),
        ("GET", f"/v1/messages/{mid}", {"tenant_id": victim}),
        (
            "POST",
            "/v1/messages/batch",
            {
                "tenant_id": victim,
                "items": [{"conversation_id": conv, "role": "user", "content": "x"}],
            },
        ),
        ("GET", "/v1/auth/api-keys", {"tenant_id": victim}),
        ("POST", "/v1/auth/api-keys", {"tenant_id": victim, "name": "steal"}),
        ("POST", "/v1/admin/embeddings/replay", {"tenant_id": victim}),
    ]


async def test_every_endpoint_refuses_another_tenants_ids_and_name(
    app: FastAPI, runtime: Runtime
) -> None:
    victim, victim_key = await make_tenant(runtime)
    _attacker, attacker_key = await make_tenant(runtime)
    async with http_client(app, victim_key) as v:
        conv = await new_conversation(v, victim)
        made = await v.post(
            "/v1/messages",
            json={
                "conversation_id": conv,
                "role": "user",
                "content": "victim's secret diary entry",
            },
        )
        mid = made.json()["id"]
    before = await _count_rows(runtime, victim)

    own_ids = {"id": mid, "conv": conv}
    by_id = [  # the attacker's own tenant, the victim's ids: 404, or per-item errors
        ("GET", f"/v1/messages/{mid}", None),
        ("PUT", f"/v1/messages/{mid}", {"content": "overwritten"}),
        ("DELETE", f"/v1/messages/{mid}", None),
        ("GET", f"/v1/conversations/{conv}", None),
        ("PUT", f"/v1/conversations/{conv}", {"title": "pwned"}),
        ("DELETE", f"/v1/conversations/{conv}", None),
        ("GET", f"/v1/conversations/{conv}/stats", None),
        ("GET", f"/v1/conversations/{conv}/messages", None),
        ("POST", "/v1/messages", {"conversation_id": conv, "role": "user", "content": "x"}),
    ]
    by_name = _by_name(victim, conv, mid)
    async with http_client(app, attacker_key) as a:
        for method, path, body in by_id:
            kwargs = {"json": body} if method in ("POST", "PUT") else {}
            response = await a.request(method, path, **kwargs)
            assert response.status_code == 404, (method, path, response.text)
            assert "diary" not in response.text
        for method, path, params in by_name:
            if method == "GET" or path.endswith("replay"):
                response = await a.request(method, path, params=params)
            else:
                response = await a.request(method, path, json=params)
            assert response.status_code == 403, (method, path, response.text)
            assert response.json()["code"] == "tenant_forbidden"
        batches = [
            ("PUT", "/v1/messages/batch/update", {"items": [{"id": mid, "content": "x"}]}),
            ("DELETE", "/v1/messages/batch", {"ids": [mid]}),
        ]
        for method, path, body in batches:
            result = (await a.request(method, path, json=body)).json()
            assert result["failed"] == 1
            assert result["results"][0]["error"]["code"] == "message_not_found"
        search = await a.get("/v1/memory/search", params={"query": "secret diary entry"})
        assert search.json()["results"] == []
        foreign_key = await a.delete(f"/v1/auth/api-keys/{uuid.uuid4()}")
        assert foreign_key.status_code == 404
    assert await _count_rows(runtime, victim) == before
    async with http_client(app, victim_key) as v:
        still = await v.get(f"/v1/messages/{mid}")
        assert still.json()["content"] == "victim's secret diary entry"
    assert own_ids  # the ids used above were the victim's real ones


async def test_a_query_that_forgets_its_tenant_filter_sees_one_tenant_only(
    client: httpx.AsyncClient, tenant: str, runtime: Runtime, app: FastAPI
) -> None:
    other, other_key = await make_tenant(runtime)
    async with http_client(app, other_key) as o:
        other_conv = await new_conversation(o, other)
        await o.post(
            "/v1/messages",
            json={"conversation_id": other_conv, "role": "user", "content": "other tenant's row"},
        )
    conv = await new_conversation(client, tenant)
    await client.post(
        "/v1/messages", json={"conversation_id": conv, "role": "user", "content": "my row"}
    )
    async with runtime.db.tenant(tenant) as conn:
        # deliberately no WHERE tenant_id = ...: row-level security filters anyway
        rows = await (await conn.execute("select tenant_id, content from messages")).fetchall()
        convs = await (await conn.execute("select tenant_id from conversations")).fetchall()
    assert {r["tenant_id"] for r in rows} == {tenant}
    assert [r["content"] for r in rows] == ["my row"]
    assert {r["tenant_id"] for r in convs} == {tenant}
    # writing into another tenant from this tenant's transaction is refused by the database
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        async with runtime.db.tenant(tenant) as conn:
            await conn.execute(
                "insert into conversations (id, tenant_id) values (%s, %s)", [uuid.uuid4(), other]
            )
    # and a connection with no tenant set sees nothing at all
    async with runtime.db.connection() as conn:
        none = await (await conn.execute("select count(*) as n from messages")).fetchone()
    assert none == {"n": 0}


async def _external_rows(runtime: Runtime, tenant: str) -> list[tuple[str, str | None]]:
    async with runtime.db.system() as conn:
        cur = await conn.execute(
            "select c.external_id, c.title from conversations c where c.tenant_id = %s"
            " order by c.external_id",
            [tenant],
        )
        return [(row["external_id"], row["title"]) for row in await cur.fetchall()]


async def test_another_tenants_own_conversation_id_is_never_read_written_or_leaked(
    app: FastAPI, runtime: Runtime
) -> None:
    victim, victim_key = await make_tenant(runtime)
    attacker, attacker_key = await make_tenant(runtime)
    async with http_client(app, victim_key) as v:
        made = await v.post(
            "/v1/messages",
            json={"conversation_id": "user-123", "role": "user", "content": "victim diary entry"},
        )
        assert made.status_code == 201
        victim_conv = made.json()["conversation_id"]
        rule = await v.post(
            "/v1/admin/retention/rules",
            json={"name": "hold", "action": "keep", "conditions": {"conversation_id": "user-123"}},
        )
        assert rule.status_code == 201
    before = (await _count_rows(runtime, victim), await _external_rows(runtime, victim))

    async with http_client(app, attacker_key) as a:
        # reads by the victim's own id, in the attacker's tenant: not found, nothing leaked
        for path in ("", "/messages", "/stats", "/export"):
            response = await a.get(f"/v1/conversations/user-123{path}")
            assert response.status_code == 404, (path, response.text)
            assert "diary" not in response.text and victim_conv not in response.text
        for method, body in (("PUT", {"title": "pwned"}), ("DELETE", None)):
            kwargs = {"json": body} if body else {}
            response = await a.request(method, "/v1/conversations/user-123", **kwargs)
            assert response.status_code == 404, (method, response.text)
        search = await a.get(
            "/v1/memory/search", params={"query": "diary entry", "conversation_id": "user-123"}
        )
        assert search.status_code == 200 and search.json()["results"] == []
        refused_rule = await a.post(
            "/v1/admin/retention/rules",
            json={"name": "x", "action": "delete", "conditions": {"conversation_id": "user-123"}},
        )
        assert refused_rule.status_code == 404
        # the victim's tenant named with the victim's own id: 403, before anything else
        for method, path, params in [
            ("GET", "/v1/conversations/user-123", {"tenant_id": victim}),
            ("GET", "/v1/conversations/user-123/messages", {"tenant_id": victim}),
            ("GET", "/v1/conversations/user-123/export", {"tenant_id": victim}),
            ("GET", "/v1/memory/search", {"tenant_id": victim, "query": "diary",
                                          "conversation_id": "user-123"}),
        ]:  # fmt: skip
            response = await a.request(method, path, params=params)
            assert response.status_code == 403, (path, response.text)
        for path, body in [
            ("/v1/messages", {"tenant_id": victim, "conversation_id": "user-123",
                              "role": "user", "content": "planted"}),
            ("/v1/messages/batch", {"tenant_id": victim, "items": [
                {"conversation_id": "user-123", "role": "user", "content": "planted"}]}),
            ("/v1/conversations", {"tenant_id": victim, "external_id": "user-123"}),
        ]:  # fmt: skip
            response = await a.post(path, json=body)
            assert response.status_code == 403, (path, response.text)
        # writing to "user-123" in its own tenant makes the attacker's OWN conversation
        own = await a.post(
            "/v1/messages",
            json={"conversation_id": "user-123", "role": "user", "content": "attacker note"},
        )
        assert own.status_code == 201
        assert own.json()["tenant_id"] == attacker
        assert own.json()["conversation_id"] != victim_conv
        batch = await a.post(
            "/v1/messages/batch",
            json={"items": [{"conversation_id": "user-123", "role": "user", "content": "more"}]},
        )
        assert (
            batch.json()["results"][0]["message"]["conversation_id"]
            == own.json()["conversation_id"]
        )
        # the victim's server id, by UUID, stays unreachable too
        by_uuid = await a.post(
            "/v1/messages",
            json={"conversation_id": victim_conv, "role": "user", "content": "planted"},
        )
        assert by_uuid.status_code == 404
        taken = await a.post(
            "/v1/conversations", json={"id": victim_conv, "external_id": "user-123"}
        )
        assert taken.status_code == 409 and "diary" not in taken.text
        # an import naming "user-123" lands in the attacker's tenant
        imported = await a.post(
            "/v1/import",
            content='{"type": "message", "conversation_id": "user-123", "role": "user", '
            '"content": "imported"}\n',
            headers={"content-type": "application/x-ndjson"},
        )
        assert imported.json()["messages_created"] == 1
        found = await a.get("/v1/memory/search", params={"query": "diary entry"})
        hits = [h["message"] for h in found.json()["results"]]
        assert hits and {h["tenant_id"] for h in hits} == {attacker}
        assert not any("diary" in h["content"] for h in hits)
        mine = (await a.get("/v1/conversations/user-123/messages")).json()["items"]
        assert [m["content"] for m in mine] == ["attacker note", "more", "imported"]
    after = (await _count_rows(runtime, victim), await _external_rows(runtime, victim))
    assert after == before  # the victim's rows: not one added, changed or removed
    async with http_client(app, victim_key) as v:
        theirs = (await v.get("/v1/conversations/user-123/messages")).json()["items"]
        assert [m["content"] for m in theirs] == ["victim diary entry"]
        rules = (await v.get("/v1/admin/retention/rules")).json()["items"]
        assert [r["conditions"]["conversation_id"] for r in rules] == [victim_conv]


async def test_a_signed_in_user_naming_an_existing_tenant_claims_nothing(
    app: FastAPI, runtime: Runtime
) -> None:
    """Tenants on first use never reach a tenant that exists: every request naming the
    victim's tenant with a user's session token is 403, and nothing is read or changed."""
    from tests.integration.test_tenant_claims import signed_in

    victim, victim_key = await make_tenant(runtime)
    async with http_client(app, victim_key) as v:
        conv = await new_conversation(v, victim)
        made = await v.post(
            "/v1/messages",
            json={"conversation_id": conv, "role": "user", "content": "victim's secret diary"},
        )
        mid = made.json()["id"]
    before = await _count_rows(runtime, victim)
    async with runtime.db.system() as conn:
        cur = await conn.execute(
            "select count(*) as n from tenant_members where tenant_id = %s", [victim]
        )
        members_before = await cur.fetchone()
    async with http_client(app) as a:
        bearer = await signed_in(a)
        for method, path, params in _by_name(victim, conv, mid):
            if method == "GET" or path.endswith("replay"):
                response = await a.request(method, path, params=params, headers=bearer)
            else:
                response = await a.request(method, path, json=params, headers=bearer)
            assert response.status_code == 403, (method, path, response.text)
            assert response.json()["code"] == "tenant_forbidden"
            assert "diary" not in response.text
        me = (await a.get("/v1/auth/me", headers=bearer)).json()
    assert victim not in {t["tenant_id"] for t in me["tenants"]}
    assert await _count_rows(runtime, victim) == before
    async with runtime.db.system() as conn:
        cur = await conn.execute(
            "select count(*) as n from tenant_members where tenant_id = %s", [victim]
        )
        assert await cur.fetchone() == members_before
