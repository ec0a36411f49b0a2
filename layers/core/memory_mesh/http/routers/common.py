"""Pieces every router shares: documented error responses and batch rendering."""

from __future__ import annotations

from typing import Any

from memory_mesh.http.schemas import BatchItemOut, BatchOut, ErrorBody, ItemError, MessageOut
from memory_mesh.services.messages import ItemResult

ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorBody, "description": "Malformed request (for example invalid JSON)."},
    404: {"model": ErrorBody, "description": "The tenant holds no such object."},
    409: {"model": ErrorBody, "description": "The id is taken."},
    413: {"model": ErrorBody, "description": "Request body too large."},
    422: {"model": ErrorBody, "description": "A field is invalid; `details` names each."},
    503: {"model": ErrorBody, "description": "A dependency (database, embedder) is down."},
}


def batch_out(results: list[ItemResult]) -> BatchOut:
    items = [
        BatchItemOut(
            index=r.index,
            status=r.status,
            id=r.id,
            message=MessageOut.of(r.message) if r.message is not None else None,
            error=ItemError(code=r.error.code, message=r.error.message) if r.error else None,
        )
        for r in results
    ]
    failed = sum(1 for r in results if r.status == "error")
    return BatchOut(succeeded=len(results) - failed, failed=failed, results=items)
