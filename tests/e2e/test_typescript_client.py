"""The TypeScript client (clients/typescript) against a real `memory-mesh serve`: its
node:test suite (test/*.test.ts) gets the server's URL and credentials in the
environment; and the package `npm pack` makes installs and imports in a new project."""

from __future__ import annotations

import json
import os
import tarfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.e2e.server import running_server
from tests.typescript import installed_client, run

pytestmark = pytest.mark.e2e

PASSWORD = "a long enough passphrase"
BURST_LIMIT = 6  # requests per caller per 2 seconds: the burst test must meet it


def _key(http: httpx.Client, token: str, scopes: list[str]) -> str:
    answer = http.post(
        "/v1/auth/api-keys",
        headers={"authorization": f"Bearer {token}"},
        json={"name": "ts-" + "-".join(scopes), "scopes": scopes},
    )
    assert answer.status_code == 201, answer.text
    return str(answer.json()["key"])


@pytest.fixture(scope="module")
def server_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    data_dir = tmp_path_factory.mktemp("ts-client-server")
    limit = {"MEMORY_GLOBAL_RATE_LIMIT": f"{BURST_LIMIT}/2 seconds"}
    with running_server(data_dir, **limit) as url, httpx.Client(base_url=url, timeout=30) as http:
        email = "owner@ts-client.example.com"
        registered = http.post(
            "/v1/auth/register", json={"email": email, "password": PASSWORD, "tenant_id": "tsco"}
        )
        assert registered.status_code == 201, registered.text
        login = http.post("/v1/auth/login", json={"email": email, "password": PASSWORD})
        token = login.json()["access_token"]
        yield {
            "MEMORY_MESH_URL": url,
            "MEMORY_MESH_API_KEY": _key(http, token, ["read", "write", "admin"]),
            "MEMORY_MESH_READ_KEY": _key(http, token, ["read"]),
            "MEMORY_MESH_BURST_KEY": _key(http, token, ["read"]),
            "MEMORY_MESH_BURST_LIMIT": str(BURST_LIMIT),
            "MEMORY_MESH_EMAIL": email,
            "MEMORY_MESH_PASSWORD": PASSWORD,
        }


def test_the_typescript_client_works_against_a_real_server(server_env: dict[str, str]) -> None:
    client = installed_client()
    # type-checks the client and its tests (tsconfig.test.json), then runs node:test
    output = run("npm", "test", env={**os.environ, **server_env}, cwd=client)
    assert "# fail 0" in output, output
    assert "# pass 0" not in output, output


def test_npm_pack_makes_a_package_a_new_project_installs_and_imports(tmp_path: Path) -> None:
    installed_client()
    packed = json.loads(run("npm", "pack", "--json", "--pack-destination", str(tmp_path)))
    tarball = tmp_path / packed[0]["filename"]
    with tarfile.open(tarball) as archive:
        names = set(archive.getnames())
    for needed in ("dist/index.js", "dist/index.d.ts", "src/schema.d.ts", "README.md"):
        assert f"package/{needed}" in names
    project = tmp_path / "project"
    project.mkdir()
    (project / "package.json").write_text('{"name": "uses-memory-mesh", "type": "module"}')
    run("npm", "install", "--no-audit", "--no-fund", "--prefer-offline", str(tarball), cwd=project)
    script = (
        "import { MemoryMesh, NotFoundError } from '@memory-mesh/client';"
        "const c = new MemoryMesh({ baseUrl: 'http://127.0.0.1:1', apiKey: 'mm_x' });"
        "console.log(typeof c.remember, new NotFoundError(404, {code: 'x', message: 'y'}).code);"
    )
    printed = run("node", "--input-type=module", "-e", script, cwd=project)
    assert printed.split() == ["function", "x"]
