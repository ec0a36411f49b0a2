"""The ``Idempotency-Key`` header for routes that create things (see
services/idempotency.py for the rules). Used by a route as a dependency that only reads
the header; the route then wraps its work in :meth:`Idempotency.run`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, TypeVar
from uuid import UUID

from fastapi import Depends, Header, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from memory_mesh.http.deps import RuntimeDep
from memory_mesh.services.idempotency import Answer, derived_id, request_hash

T = TypeVar("T", bound=BaseModel)

KEY_DESCRIPTION = (
    "Optional. A unique string (1-255 printable ASCII characters, e.g. a UUID) chosen by "
    "the client. A retry with the same key (per tenant, kept 24 h by default: "
    "MEMORY_IDEMPOTENCY_TTL_HOURS) answers the first request's status and body and stores "
    "nothing twice (header `Idempotent-Replayed: true`). The same key with a different "
    "request: 422 `idempotency_key_reused`; while the first is still running: 409 "
    "`request_in_progress` with `Retry-After`. A request that failed may be retried "
    "with its key."
)

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=255,
        pattern=r"^[!-~]+$",
        description=KEY_DESCRIPTION,
    ),
]


class Idempotency:
    """The request's ``Idempotency-Key`` (or None) and how to honour it."""

    def __init__(
        self, request: Request, response: Response, runtime: RuntimeDep, key: IdempotencyKey = None
    ) -> None:
        self.request = request
        self.response = response
        self.runtime = runtime
        self.key = key

    def derived_id(self, tenant_id: str, index: int = 0) -> UUID | None:
        """The id to give the ``index``-th created object when the client gave none:
        derived from the key, so a re-run cannot create a second one; None without a key."""
        return derived_id(tenant_id, self.key, index) if self.key is not None else None

    async def run(
        self, tenant_id: str, body: BaseModel, status_code: int, call: Callable[[], Awaitable[T]]
    ) -> T | Response:
        """``call()`` once per key; a retry gets the stored answer as a JSON response."""
        if self.key is None:
            return await call()
        fingerprint = request_hash(
            self.request.method,
            self.request.url.path,
            body.model_dump(mode="json", exclude={"tenant_id"}),
        )
        produced: list[T] = []

        async def execute() -> Answer:
            result = await call()
            produced.append(result)
            return Answer(
                self.response.status_code or status_code,
                result.model_dump(mode="json", by_alias=True),
            )

        answer, replayed = await self.runtime.idempotency.run(
            tenant_id=tenant_id, key=self.key, fingerprint=fingerprint, call=execute
        )
        if not replayed:
            return produced[0]
        headers = {k: v for k, v in self.response.headers.items() if k.lower() != "content-length"}
        headers["Idempotent-Replayed"] = "true"
        return JSONResponse(answer.body, status_code=answer.status_code, headers=headers)


async def _idempotency(
    request: Request, response: Response, runtime: RuntimeDep, key: IdempotencyKey = None
) -> Idempotency:
    # a coroutine, not the class itself: FastAPI would build the class in a worker thread
    return Idempotency(request, response, runtime, key)


IdempotencyDep = Annotated[Idempotency, Depends(_idempotency)]
