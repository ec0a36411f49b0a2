"""Shared fixtures: ONE embedded PostgreSQL + pgvector for the whole run, the real local
embedding model loaded once, and a unique tenant per test (tests never see each other's
rows, so no truncation is needed and tests may run in any order)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from memory_mesh.config import Settings
from memory_mesh.embeddings import Embedder, build_embedder
from memory_mesh.runtime import Runtime
from memory_mesh.store.embedded import start_embedded_postgres
from memory_mesh.store.migrations import migrate


@pytest.fixture(scope="session")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("memory-mesh-data")


@pytest.fixture(scope="session")
def database_url(data_dir: Path) -> str:
    url = start_embedded_postgres(data_dir)
    migrate(url, dimensions=384)
    return url


@pytest.fixture(scope="session")
def local_embedder() -> Embedder:
    return build_embedder(Settings(embedding_provider="local"))


def make_settings(database_url: str, **overrides: object) -> Settings:
    base: dict[str, object] = {
        "database_url": database_url,
        "environment": "test",
        "embedding_worker_poll_seconds": 0.2,
        "embedding_retry_base_seconds": 0.0,
    }
    base.update(overrides)
    return Settings(**base)  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def settings(database_url: str) -> Settings:
    return make_settings(database_url)


@pytest.fixture(scope="session")
async def runtime(settings: Settings, local_embedder: Embedder) -> AsyncIterator[Runtime]:
    rt = await Runtime.start(settings, embedder=local_embedder, run_worker=False)
    yield rt
    await rt.stop()


@pytest.fixture
def tenant() -> Iterator[str]:
    yield f"t-{uuid.uuid4().hex[:12]}"


@pytest.fixture(scope="session")
async def client(runtime: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    """An in-process HTTP client over ASGI, sharing the session runtime (no lifespan)."""
    from memory_mesh.http.app import create_app

    app = create_app(runtime.settings)
    app.state.runtime = runtime
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield http


async def new_conversation(client: httpx.AsyncClient, tenant: str, title: str = "c") -> str:
    response = await client.post("/v1/conversations", json={"tenant_id": tenant, "title": title})
    assert response.status_code == 201, response.text
    return str(response.json()["id"])
