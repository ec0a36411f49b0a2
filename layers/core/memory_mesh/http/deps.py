"""FastAPI dependencies: the runtime's services, as short ``Annotated`` aliases.

They are ``async def`` although they never await: FastAPI runs a plain ``def``
dependency in a worker thread, and each such hand-off cost more CPU than the search's
own Python (bench/results/http_overhead.md)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from memory_mesh.runtime import Runtime
from memory_mesh.services.conversations import ConversationService
from memory_mesh.services.health import HealthService
from memory_mesh.services.messages import MessageService
from memory_mesh.services.search import SearchService


async def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


async def _messages(runtime: RuntimeDep) -> MessageService:
    return runtime.messages


async def _conversations(runtime: RuntimeDep) -> ConversationService:
    return runtime.conversations


async def _search(runtime: RuntimeDep) -> SearchService:
    return runtime.search


async def _health(runtime: RuntimeDep) -> HealthService:
    return runtime.health


MessagesDep = Annotated[MessageService, Depends(_messages)]
ConversationsDep = Annotated[ConversationService, Depends(_conversations)]
SearchDep = Annotated[SearchService, Depends(_search)]
HealthDep = Annotated[HealthService, Depends(_health)]
