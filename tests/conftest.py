"""Shared fixtures: ONE embedded PostgreSQL + pgvector for the whole run, the real local
embedding model loaded once, and a unique tenant per test (tests never see each other's
rows, so no truncation is needed and tests may run in any order)."""

from __future__ import annotations

import faulthandler
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from memory_mesh.config import Settings
from memory_mesh.embeddings import Embedder, build_embedder
from memory_mesh.runtime import Runtime
from memory_mesh.store.embedded import start_embedded_postgres
from memory_mesh.store.migrations import migrate

# the watchdog's copy of the terminal's stderr, taken before any test captures it
_WATCHDOG_FD: int | None = None
# how long the last test's teardown (every session fixture: the embedded PostgreSQL
# servers, Redis, the session runtime) and this process's exit may take
WATCHDOG_SECONDS = 300


def pytest_configure(config: pytest.Config) -> None:
    global _WATCHDOG_FD
    _WATCHDOG_FD = os.dup(2)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> None:
    """Before the last test's teardown, arm a watchdog: a process still alive
    WATCHDOG_SECONDS later (a session fixture's teardown, or the interpreter's exit, hung)
    prints every thread's stack and exits with an error. A hang then fails the run
    with its stacks in the log (an xdist worker is reported crashed) instead of holding
    CI until it is killed; pytest-timeout's per-test limit does not reach the exit."""
    if nextitem is None and _WATCHDOG_FD is not None:
        faulthandler.dump_traceback_later(WATCHDOG_SECONDS, exit=True, file=_WATCHDOG_FD)


def pytest_collection_finish(session: pytest.Session) -> None:
    """Every test has its own id: pytest-xdist hands tests out by id, and ran one of
    several sharing an id while reporting the others as never collected (the fuzz
    test's operations did, tests/fuzz/conftest.py), so a shared id stops the run."""
    counts = Counter(item.nodeid for item in session.items)
    shared = sorted(nodeid for nodeid, count in counts.items() if count > 1)
    if shared:
        raise pytest.UsageError(f"tests share an id: {shared[:5]}")


@pytest.fixture(scope="session")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("memory-mesh-data")


@pytest.fixture(scope="session")
def database_url(data_dir: Path) -> str:
    url = start_embedded_postgres(data_dir)
    migrate(url, dimensions=384)
    return url


class PasswordPostgres:
    """A second embedded PostgreSQL that checks passwords (SCRAM) for every role but its
    superuser, as Aurora does; the shared one trusts every local login."""

    def __init__(self, data_dir: Path) -> None:
        import psycopg

        self.owner_url = start_embedded_postgres(data_dir)  # the superuser: Aurora's master
        hba = data_dir / "pgdata" / "pg_hba.conf"
        rules = hba.read_text()
        if "# memory-mesh: passwords" not in rules:  # first match wins: these go first
            hba.write_text(
                "# memory-mesh: passwords\n"
                "local all postgres trust\n"
                "local all all scram-sha-256\n" + rules
            )
        with psycopg.connect(self.owner_url, autocommit=True) as conn:
            conn.execute("select pg_reload_conf()")
            row = conn.execute("show port").fetchone()
            assert row is not None
            self.port = int(row[0])
        self.socket_dir = str(data_dir / "pgdata")
        migrate(self.owner_url, dimensions=384)

    def secret(self, username: str, password: str) -> dict[str, object]:
        """An RDS-style credentials secret naming this server (its Unix socket)."""
        return {
            "username": username,
            "password": password,
            "host": self.socket_dir,
            "port": self.port,
            "dbname": "postgres",
        }


@pytest.fixture(scope="session")
def password_postgres(tmp_path_factory: pytest.TempPathFactory) -> PasswordPostgres:
    return PasswordPostgres(tmp_path_factory.mktemp("password-postgres"))


@pytest.fixture
async def password_tenant(password_postgres: PasswordPostgres) -> AsyncIterator[tuple[str, str]]:
    """A tenant and an API key in the password-checking database."""
    runtime = await Runtime.start(
        make_settings(password_postgres.owner_url, auto_migrate=False), run_worker=False
    )
    try:
        yield await make_tenant(runtime)
    finally:
        await runtime.stop()


@pytest.fixture(scope="session")
def local_embedder() -> Embedder:
    return build_embedder(Settings(embedding_provider="local"))


JWT_SECRET = "test-secret-" + "k" * 40
PASSWORD = "correct horse battery staple"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class RedisStartError(RuntimeError):
    """redis-server exited before it listened (its port was taken)."""


class RedisServer:
    """A real redis-server process on a free port, without persistence. A test may kill it
    (SIGKILL, like a crash) and start it again on the SAME port, so clients configured
    with its URL find it back by themselves (tests/faults)."""

    def __init__(self, *, cluster: bool = False) -> None:
        binary = shutil.which("redis-server")
        assert binary, "redis-server is not installed (scripts/test.sh installs it)"
        self.binary = binary
        self.cluster = cluster
        self.process: subprocess.Popen[bytes] | None = None
        self._config_dir = Path(tempfile.mkdtemp(prefix="redis-cluster-")) if cluster else None
        # a free port may be taken by another process (another xdist worker) before
        # redis-server binds it: then the first start fails and a new port is tried
        for attempt in range(3):
            self.port = free_port()
            self._bus_port = free_port() if cluster else 0
            try:
                self.start()
                break
            except RedisStartError:
                if attempt == 2:
                    raise
        # a cluster has no database numbers (SELECT is refused), as on ElastiCache Serverless
        self.url = f"redis://127.0.0.1:{self.port}" + ("" if cluster else "/0")

    def start(self) -> None:
        """Start (again) on this port, without persistence: it comes back empty (a
        cluster node keeps its slots: they live in its cluster config file)."""
        assert self.process is None, "already running"
        arguments = ["--port", str(self.port), "--bind", "127.0.0.1", "--save", ""]
        if self._config_dir is not None:
            arguments += [
                "--cluster-enabled",
                "yes",
                "--cluster-config-file",
                str(self._config_dir / "nodes.conf"),
                # the bus port defaults to port + 10000, which may be taken or past 65535
                "--cluster-port",
                str(self._bus_port),
                "--dir",
                str(self._config_dir),
            ]
        self.process = subprocess.Popen(
            [self.binary, *arguments, "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                self.process = None
                raise RedisStartError(f"redis-server exited (port {self.port} taken?)")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.05)
        else:
            raise RuntimeError("redis-server did not start")
        if self._config_dir is not None:
            self._serve_every_slot(deadline)

    def _serve_every_slot(self, deadline: float) -> None:
        """One node owning slots 0-16383: a cluster-mode Redis in one process."""
        import redis

        with redis.Redis(port=self.port, socket_timeout=5) as node:
            if b"cluster_slots_assigned:16384" not in node.execute_command("CLUSTER", "INFO"):
                node.execute_command("CLUSTER", "ADDSLOTSRANGE", 0, 16383)
            while b"cluster_state:ok" not in node.execute_command("CLUSTER", "INFO"):
                assert time.monotonic() < deadline, "the one-node cluster never became ok"
                time.sleep(0.05)

    def kill(self) -> None:
        """SIGKILL: connections drop at once, nothing is saved."""
        assert self.process is not None, "not running"
        self.process.kill()
        self.process.wait(timeout=30)
        self.process = None

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=30)
            self.process = None

    def remove(self) -> None:
        """Stop, and delete a cluster node's config directory."""
        self.stop()
        if self._config_dir is not None:
            shutil.rmtree(self._config_dir, ignore_errors=True)


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    server = RedisServer()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def redis_cluster_server() -> Iterator[RedisServer]:
    """A cluster-mode Redis (one node, every slot), as ElastiCache Serverless is."""
    server = RedisServer(cluster=True)
    yield server
    server.remove()


@pytest.fixture(params=["plain", "cluster"])
def any_redis(
    request: pytest.FixtureRequest, redis_server: RedisServer
) -> tuple[RedisServer, bool]:
    """Each Redis the service runs against: (server, whether it is cluster mode). Tests
    using it run twice; the cluster server only starts when a cluster case runs."""
    if request.param == "cluster":
        return request.getfixturevalue("redis_cluster_server"), True
    return redis_server, False


def make_settings(database_url: str, **overrides: object) -> Settings:
    base: dict[str, object] = {
        "database_url": database_url,
        "environment": "test",
        "jwt_secret_key": JWT_SECRET,
        "embedding_worker_poll_seconds": 0.2,
        "embedding_retry_base_seconds": 0.0,
    }
    base.update(overrides)
    return Settings(**base)  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def settings(database_url: str, redis_server: RedisServer) -> Settings:
    return make_settings(database_url, redis_url=redis_server.url)


@pytest.fixture(scope="session")
async def runtime(settings: Settings, local_embedder: Embedder) -> AsyncIterator[Runtime]:
    rt = await Runtime.start(settings, embedder=local_embedder, run_worker=False)
    yield rt
    await rt.stop()


async def make_tenant(
    runtime: Runtime, scopes: tuple[str, ...] = ("read", "write", "admin")
) -> tuple[str, str]:
    """A new user administering a new tenant, and an API key of that tenant: (tenant, key)."""
    from memory_mesh.domain.identity import ROLE_SCOPES, MemberRole, Principal, Scope

    tenant_id = f"t-{uuid.uuid4().hex[:12]}"
    user_id, _ = await runtime.auth.register(
        email=f"{tenant_id}@example.com", password=PASSWORD, tenant_id=tenant_id
    )
    admin = Principal(
        kind="user", id=user_id, user_id=user_id, tenants={tenant_id: ROLE_SCOPES[MemberRole.admin]}
    )
    made = await runtime.auth.create_api_key(
        admin,
        tenant_id=tenant_id,
        name="tests",
        scopes=[Scope(s) for s in scopes],
        expires_in_days=None,
    )
    return tenant_id, made.key


@pytest.fixture(scope="session")
def app(runtime: Runtime) -> FastAPI:
    """The HTTP app over the session runtime (its lifespan is not run: the runtime is)."""
    from memory_mesh.http.app import create_app

    application = create_app(runtime.settings)
    application.state.runtime = runtime
    return application


def http_client(app: FastAPI, key: str | None = None) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    headers = {"x-api-key": key} if key else {}
    return httpx.AsyncClient(transport=transport, base_url="http://test", headers=headers)


@pytest.fixture
async def tenant_and_key(runtime: Runtime) -> tuple[str, str]:
    return await make_tenant(runtime)


@pytest.fixture
def tenant(tenant_and_key: tuple[str, str]) -> str:
    return tenant_and_key[0]


@pytest.fixture
async def client(app: FastAPI, tenant_and_key: tuple[str, str]) -> AsyncIterator[httpx.AsyncClient]:
    """An in-process HTTP client over ASGI holding an admin API key of ``tenant``."""
    async with http_client(app, tenant_and_key[1]) as http:
        yield http


async def new_conversation(client: httpx.AsyncClient, tenant: str, title: str = "c") -> str:
    response = await client.post("/v1/conversations", json={"tenant_id": tenant, "title": title})
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


class SilentListener:
    """A TCP server that accepts connections and never answers (a hung Redis or
    database: the connection is made, then nothing comes back). Closing it closes the
    connections it accepted."""

    def __init__(self) -> None:
        self._server = socket.create_server(("127.0.0.1", 0))
        self.port = int(self._server.getsockname()[1])
        self._accepted: list[socket.socket] = []
        self._closed = threading.Event()
        self._thread = threading.Thread(target=self._accept, name="silent-listener", daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        self._server.settimeout(0.1)
        while not self._closed.is_set():
            try:
                conn, _ = self._server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self._accepted.append(conn)  # held open, never read from nor written to

    @property
    def accepted(self) -> int:
        return len(self._accepted)

    def close(self) -> None:
        self._closed.set()
        self._thread.join(timeout=5)
        self._server.close()
        for conn in self._accepted:
            conn.close()


@pytest.fixture
def silent_listener() -> Iterator[SilentListener]:
    listener = SilentListener()
    yield listener
    listener.close()


@pytest.fixture(scope="session")
def sam_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`sam build` of template.yaml, made once for the whole run (tests/infra/shared_build.py)."""
    from tests.infra.shared_build import sam_build

    return sam_build(tmp_path_factory)


@pytest.fixture(scope="session")
def runtime_boto3(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """boto3 installed for python3.12, as the Lambda runtime provides it, made once a run."""
    from tests.infra.shared_build import runtime_boto3

    return runtime_boto3(tmp_path_factory)
