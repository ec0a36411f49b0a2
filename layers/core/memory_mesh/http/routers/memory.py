"""/v1/memory/search: find the messages that matter for a query."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from pydantic import AwareDatetime

from memory_mesh.domain.conversation_ref import EXTERNAL_ID_PATTERN, REF_DESCRIPTION
from memory_mesh.domain.identity import Scope
from memory_mesh.domain.models import Role, SearchMode, SearchQuery
from memory_mesh.errors import InvalidInput
from memory_mesh.http.bodies.base import TenantId
from memory_mesh.http.bodies.search import SearchHitOut, SearchOut, SearchRequest
from memory_mesh.http.deps import SearchDep
from memory_mesh.http.routers.common import ERRORS
from memory_mesh.http.security import AccessDep

router = APIRouter(prefix="/v1/memory", tags=["memory"], responses=ERRORS)

_DESCRIPTION = (
    "Candidates are found inside PostgreSQL (exact distance over a small tenant or "
    "conversation, the HNSW index over a large one; BM25 for keywords) and ranked by "
    "`score = relevance * (w_rel + w_imp*importance + w_rec*recency)` (weights normalised; "
    "recency = 0.5^(age/half-life), age from `reference_time` or now): importance and recency "
    "reorder related hits, never lift an unrelated one. Relevance is absolute (similarity, "
    "BM25 over the query's best, or in hybrid 0.4 x similarity + 0.6 x keyword), so "
    "`min_score` 0.1 drops unrelated hits. Each result carries its score parts. Archived "
    "messages are left out unless `include_archived` is true."
)


# the 200 answer's Server-Timing header, documented in the OpenAPI schema
_TIMED: dict[int | str, dict[str, Any]] = {
    200: {
        "headers": {
            "Server-Timing": {
                "description": "Where the search's time went, in ms: `embedding` (the"
                " query's vector; absent in keyword mode) and `database`, e.g."
                " `embedding;dur=3.412, database;dur=1.207`.",
                "schema": {"type": "string"},
            }
        }
    }
}


@router.get("/search", summary="Search memories", description=_DESCRIPTION, responses=_TIMED)
async def search_get(
    service: SearchDep,
    access: AccessDep,
    response: Response,
    query: Annotated[str, Query(description="What to look for, in natural language.")],
    tenant_id: Annotated[TenantId | None, Query()] = None,
    top_k: int = 10,
    mode: SearchMode = SearchMode.hybrid,
    conversation_id: Annotated[
        str | None, Query(pattern=EXTERNAL_ID_PATTERN, description=REF_DESCRIPTION)
    ] = None,
    role: Role | None = None,
    created_after: Annotated[
        AwareDatetime | None, Query(description="ISO 8601 with a zone; a naive time is a 422.")
    ] = None,
    created_before: Annotated[
        AwareDatetime | None, Query(description="ISO 8601 with a zone.")
    ] = None,
    metadata: Annotated[
        str | None, Query(description='JSON object the results\' metadata contains, e.g. {"a":1}')
    ] = None,
    min_score: float = 0.0,
    include_archived: bool = False,
    reference_time: Annotated[
        AwareDatetime | None,
        Query(description="Measure recency from this time (ISO 8601 with a zone), not now."),
    ] = None,
) -> SearchOut:
    request = SearchRequest(
        tenant_id=tenant_id,
        query=query,
        top_k=top_k,
        mode=mode,
        conversation_id=conversation_id,
        role=role,
        created_after=created_after,
        created_before=created_before,
        metadata=_metadata_param(metadata),
        min_score=min_score,
        include_archived=include_archived,
        reference_time=reference_time,
    )
    return await _search(service, access, request, response)


@router.post(
    "/search",
    summary="Search memories (JSON body)",
    description=_DESCRIPTION + " Same as GET, with the parameters in a JSON body.",
    responses=_TIMED,
)
async def search_post(
    body: SearchRequest, service: SearchDep, access: AccessDep, response: Response
) -> SearchOut:
    return await _search(service, access, body, response)


async def _search(
    service: SearchDep, access: AccessDep, request: SearchRequest, response: Response
) -> SearchOut:
    tenant_id = await access.tenant(request.tenant_id, Scope.read)
    fields = request.model_dump()
    fields["tenant_id"] = tenant_id
    outcome = await service.search(SearchQuery(**fields))
    # where the time went (W3C Server-Timing: shown by browsers' developer tools, read by
    # clients and benchmarks): the query's embedding and the database, in milliseconds
    response.headers["Server-Timing"] = ", ".join(
        f"{part};dur={ms:.3f}" for part, ms in outcome.timings.items()
    )
    return SearchOut(
        query=request.query,
        mode=outcome.mode,
        degraded=outcome.degraded,
        plan=outcome.plan,
        results=[SearchHitOut.of(hit) for hit in outcome.hits],
    )


def _metadata_param(raw: str | None) -> dict[str, Any]:
    if raw is None or raw == "":
        return {}
    try:
        value = json.loads(raw)
    except json.JSONDecodeError:
        value = None
    if not isinstance(value, dict):
        raise InvalidInput(
            'metadata: must be a JSON object, for example {"topic": "travel"}',
            code="invalid_metadata_filter",
            details=[{"field": "metadata", "problem": "not a JSON object"}],
        )
    return value
