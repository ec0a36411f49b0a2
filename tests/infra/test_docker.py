"""The Dockerfile and docker-compose.yml, checked without a Docker engine (there is none
here): the compose file names the service, PostgreSQL + pgvector and Redis, wired by the
right variables; the image's install commands, taken from the Dockerfile, run in a fresh
virtual environment, and its start command then answers /v1/admin/health."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
import yaml

from tests.e2e.server import running_server

ROOT = Path(__file__).resolve().parents[2]


def _compose() -> dict[str, Any]:
    loaded = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    assert isinstance(loaded, dict)
    return loaded


def _dockerfile() -> list[tuple[str, str]]:
    """(instruction, arguments) of each Dockerfile line, continuations joined."""
    text = re.sub(r"\\\n\s*", " ", (ROOT / "Dockerfile").read_text())
    steps = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            instruction, _, arguments = line.partition(" ")
            steps.append((instruction.upper(), arguments.strip()))
    return steps


def test_compose_runs_the_service_with_postgres_pgvector_and_redis() -> None:
    services = _compose()["services"]
    default = {name for name, s in services.items() if not s.get("profiles")}
    assert default == {"memory-mesh", "postgres", "redis"}
    app = services["memory-mesh"]
    assert app["build"] == "."
    assert "8000:8000" in app["ports"]
    database = urlsplit(app["environment"]["MEMORY_DATABASE_URL"])
    postgres = services["postgres"]
    assert postgres["image"].startswith("pgvector/pgvector:")
    assert database.scheme == "postgresql" and database.hostname == "postgres"
    assert database.username == postgres["environment"]["POSTGRES_USER"]
    assert database.password == postgres["environment"]["POSTGRES_PASSWORD"]
    assert database.path == "/" + postgres["environment"]["POSTGRES_DB"]
    assert urlsplit(app["environment"]["MEMORY_REDIS_URL"]).hostname == "redis"
    assert services["redis"]["image"].startswith("redis:")
    assert set(app["depends_on"]) == {"postgres", "redis"}
    # every variable it sets is a setting the service knows
    from memory_mesh.config import Settings

    known = {f"MEMORY_{name.upper()}" for name in Settings.model_fields}
    assert set(app["environment"]) <= known


def test_the_image_runs_as_an_unprivileged_user_and_starts_the_server() -> None:
    steps = _dockerfile()
    users = [args for instruction, args in steps if instruction == "USER"]
    assert users and users[-1] not in ("root", "0")
    cmd = [args for instruction, args in steps if instruction == "CMD"]
    assert json.loads(cmd[-1]) == ["memory-mesh", "serve", "--host", "0.0.0.0"]
    runs = [args for instruction, args in steps if instruction == "RUN" and "pip" in args]
    assert runs[0] == "pip install --require-hashes --no-deps -r requirements/service.txt"
    assert "--no-deps" in runs[1]


@pytest.mark.e2e
def test_the_images_install_and_start_commands_work_in_a_fresh_environment(
    tmp_path: Path,
) -> None:
    """The Dockerfile's COPY, RUN pip and CMD, replayed: a build context with only what
    the image copies, a new virtual environment for its Python, then the start command
    (on the embedded database, since no MEMORY_DATABASE_URL is set here)."""
    steps = _dockerfile()
    context = tmp_path / "app"
    context.mkdir()
    for instruction, args in steps:
        if instruction == "COPY":
            *sources, target = args.split()
            for source in sources:
                origin, destination = ROOT / source, context / target
                if target.endswith("/"):
                    destination = destination / origin.name
                if origin.is_dir():
                    shutil.copytree(origin, destination, ignore=_ignored)
                else:
                    destination.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copy(origin, destination)
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("MEMORY_", "PYTHON"))},
        "PATH": f"{venv / 'bin'}{os.pathsep}{os.environ['PATH']}",
        "VIRTUAL_ENV": str(venv),
    }
    for instruction, args in steps:
        if instruction == "RUN" and args.startswith("pip "):
            done = subprocess.run(
                ["bash", "-c", args], cwd=context, env=env, capture_output=True, text=True
            )
            assert done.returncode == 0, (args, done.stdout[-3000:], done.stderr[-3000:])
    command = json.loads([a for i, a in steps if i == "CMD"][-1])
    command[0] = str(venv / "bin" / command[0])
    with running_server(tmp_path / "data", command=command, PATH=env["PATH"]) as url:
        health = httpx.get(f"{url}/v1/admin/health", timeout=30)
    assert health.status_code == 200 and health.json()["status"] == "ok"


def _ignored(directory: str, names: list[str]) -> set[str]:
    return {n for n in names if n in ("__pycache__", ".mypy_cache") or n.endswith(".egg-info")}
