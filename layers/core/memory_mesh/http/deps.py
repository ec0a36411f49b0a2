"""FastAPI dependencies: the runtime's services, as short ``Annotated`` aliases."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from memory_mesh.runtime import Runtime
from memory_mesh.services.conversations import ConversationService
from memory_mesh.services.health import HealthService
from memory_mesh.services.messages import MessageService
from memory_mesh.services.search import SearchService


def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


def _messages(runtime: RuntimeDep) -> MessageService:
    return runtime.messages


def _conversations(runtime: RuntimeDep) -> ConversationService:
    return runtime.conversations


def _search(runtime: RuntimeDep) -> SearchService:
    return runtime.search


def _health(runtime: RuntimeDep) -> HealthService:
    return runtime.health


MessagesDep = Annotated[MessageService, Depends(_messages)]
ConversationsDep = Annotated[ConversationService, Depends(_conversations)]
SearchDep = Annotated[SearchService, Depends(_search)]
HealthDep = Annotated[HealthService, Depends(_health)]
