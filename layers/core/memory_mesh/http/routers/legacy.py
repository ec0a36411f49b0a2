"""Old paths kept answering for existing clients, each marked deprecated with its
successor (see http/versioning.py): ``Deprecation``, ``Sunset`` and ``Link`` headers, and
``deprecated: true`` in the OpenAPI document."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter

from memory_mesh.http.routers import memory
from memory_mesh.http.routers.common import ERRORS
from memory_mesh.http.versioning import Deprecation, deprecated_route

router = APIRouter(tags=["memory"], responses=ERRORS)

LEGACY_SEARCH = Deprecation(
    since=datetime(2026, 11, 28, tzinfo=UTC),
    sunset=datetime(2027, 6, 1, tzinfo=UTC),
    successor="/v1/memory/search",
)

# the early path of search: same parameters, same answer, same handler
router.add_api_route(
    "/v1/search",
    memory.search_get,
    methods=["GET"],
    summary="Search memories (old path)",
    **deprecated_route(
        LEGACY_SEARCH,
        description="The first path of `GET /v1/memory/search`, kept for existing clients; "
        "same parameters and answer.",
    ),
)
