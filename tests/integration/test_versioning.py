"""API versioning: a deprecated route keeps answering, every answer carries the
Deprecation (RFC 9745), Sunset (RFC 8594) and Link headers, and the OpenAPI document
marks the operation deprecated."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import httpx
import pytest
from fastapi import APIRouter, FastAPI

from memory_mesh.http.routers.legacy import LEGACY_SEARCH
from memory_mesh.http.versioning import (
    Deprecation,
    deprecate_prefix,
    deprecated_route,
    install_versioning,
)
from tests.conftest import new_conversation


def _assert_announces(response: httpx.Response, info: Deprecation) -> None:
    deprecation = response.headers["deprecation"]
    assert re.fullmatch(r"@\d+", deprecation), deprecation  # RFC 9745: @<unix seconds>
    assert int(deprecation[1:]) == int(info.since.timestamp())
    assert info.sunset is not None
    assert parsedate_to_datetime(response.headers["sunset"]) == info.sunset
    assert response.headers["sunset"].endswith(" GMT")  # an IMF-fixdate
    assert f'<{info.successor}>; rel="successor-version"' in response.headers["link"]


async def test_the_old_search_path_answers_like_the_new_one_with_deprecation_headers(
    client: httpx.AsyncClient, tenant: str
) -> None:
    conv = await new_conversation(client, tenant)
    stored = await client.post(
        "/v1/messages",
        json={"conversation_id": conv, "role": "user", "content": "I am allergic to peanuts"},
    )
    assert stored.status_code == 201
    params = {"query": "what food should I avoid", "mode": "vector"}
    old = await client.get("/v1/search", params=params)
    new = await client.get("/v1/memory/search", params=params)
    assert old.status_code == 200, old.text
    ids = [[r["message"]["id"] for r in a.json()["results"]] for a in (old, new)]
    assert ids[0] == ids[1]
    assert old.json()["results"][0]["message"]["content"] == "I am allergic to peanuts"
    _assert_announces(old, LEGACY_SEARCH)
    assert LEGACY_SEARCH.successor == "/v1/memory/search"
    # the successor itself is not deprecated
    assert "deprecation" not in new.headers and "sunset" not in new.headers


async def test_errors_of_a_deprecated_route_carry_the_headers_too(
    client: httpx.AsyncClient,
) -> None:
    unauthenticated = await client.get(
        "/v1/search", params={"query": "x"}, headers={"x-api-key": ""}
    )
    assert unauthenticated.status_code == 401
    _assert_announces(unauthenticated, LEGACY_SEARCH)
    invalid = await client.get("/v1/search", params={"query": "x", "top_k": 0})
    assert invalid.status_code == 422
    _assert_announces(invalid, LEGACY_SEARCH)


async def test_the_openapi_document_marks_the_old_path_deprecated(
    client: httpx.AsyncClient,
) -> None:
    document = (await client.get("/openapi.json")).json()
    old = document["paths"]["/v1/search"]["get"]
    assert old["deprecated"] is True
    assert old["description"].startswith("**Deprecated** since 2026-11-28")
    assert "`/v1/memory/search`" in old["description"]
    assert old["x-deprecation"]["successor"] == "/v1/memory/search"
    assert old["x-deprecation"]["sunset"].startswith("2027-06-01")
    # same parameters as the successor
    new = document["paths"]["/v1/memory/search"]["get"]
    assert [p["name"] for p in old["parameters"]] == [p["name"] for p in new["parameters"]]
    assert "deprecated" not in new
    assert old["operationId"] != new["operationId"]


def _versioned_app() -> FastAPI:
    """Two versions of one route: /v0 deprecated as a whole, /v1 current; and a single
    deprecated route inside v1."""
    app = FastAPI()
    v0, v1 = APIRouter(prefix="/v0"), APIRouter(prefix="/v1")

    @v0.get("/things/{thing_id}", description="Read a thing.")
    async def thing_v0(thing_id: int) -> dict[str, int]:
        return {"id": thing_id}

    @v1.get("/things/{thing_id}")
    async def thing_v1(thing_id: int) -> dict[str, int]:
        return {"id": thing_id}

    @v1.get(
        "/thing-list",
        **deprecated_route(
            Deprecation(
                since=datetime(2030, 1, 1, tzinfo=UTC),  # announced ahead
                successor="/v1/things",
                documentation="https://example.com/changelog#thing-list",
            )
        ),
    )
    async def thing_list() -> list[int]:
        return [1]

    app.include_router(v0)
    app.include_router(v1)
    deprecate_prefix(
        app,
        "/v0/",
        Deprecation(
            since=datetime(2026, 1, 1, tzinfo=UTC),
            sunset=datetime(2026, 12, 31, 23, 59, 59, tzinfo=UTC),
            successor="/v1",
        ),
    )
    install_versioning(app)
    return app


async def test_a_whole_version_prefix_can_be_deprecated() -> None:
    app = _versioned_app()
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        old = await http.get("/v0/things/7")
        current = await http.get("/v1/things/7")
        missing = await http.get("/v0/things/not-a-number")
        listing = await http.get("/v1/thing-list")
        document = (await http.get("/openapi.json")).json()
    assert old.json() == {"id": 7} and current.json() == {"id": 7}
    assert old.headers["deprecation"] == f"@{int(datetime(2026, 1, 1, tzinfo=UTC).timestamp())}"
    assert old.headers["sunset"] == "Thu, 31 Dec 2026 23:59:59 GMT"
    assert old.headers["link"] == '</v1>; rel="successor-version"'
    assert missing.status_code == 422 and "deprecation" in missing.headers
    assert "deprecation" not in current.headers
    # a single route: no sunset yet, a documentation link
    assert "sunset" not in listing.headers
    assert listing.headers["link"] == (
        '</v1/things>; rel="successor-version", '
        '<https://example.com/changelog#thing-list>; rel="deprecation"; type="text/html"'
    )
    v0 = document["paths"]["/v0/things/{thing_id}"]["get"]
    assert v0["deprecated"] is True
    assert v0["description"].startswith("**Deprecated** since 2026-01-01; it may stop")
    assert v0["description"].endswith("Read a thing.")
    assert "deprecated" not in document["paths"]["/v1/things/{thing_id}"]["get"]
    assert document["paths"]["/v1/thing-list"]["get"]["deprecated"] is True


def test_deprecation_dates_need_a_time_zone() -> None:
    with pytest.raises(ValueError, match="time zone"):
        Deprecation(since=datetime(2026, 1, 1))
