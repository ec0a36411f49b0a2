"""The ``memory-mesh`` command: serve | mcp | migrate | replay-failed | reembed | recontext | ..."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import getpass
import logging
import os
import signal
import sys
from collections.abc import Callable, Iterator

from memory_mesh.config import (
    ConfigError,
    Settings,
    environment_warnings,
    load_settings,
    unused_setting_warnings,
)
from memory_mesh.observability.logs import configure_logging

log = logging.getLogger("memory_mesh")


def _settings(**overrides: object) -> Settings:
    try:
        return load_settings(**overrides)
    except ConfigError as exc:
        print(f"memory-mesh: {exc}", file=sys.stderr)
        raise SystemExit(2) from None


def _graceful_server_class() -> type:
    import uvicorn

    class GracefulServer(uvicorn.Server):
        """uvicorn re-raises SIGTERM/SIGINT after its graceful shutdown, which ends the
        process without ``atexit`` — and the embedded PostgreSQL's cleanup is an atexit
        hook. Here the signal only starts the shutdown; the process then exits normally
        and the embedded database stops with it."""

        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:
            previous = {
                sig: signal.signal(sig, self.handle_exit) for sig in (signal.SIGINT, signal.SIGTERM)
            }
            try:
                yield
            finally:
                for sig, handler in previous.items():
                    signal.signal(sig, handler)

    return GracefulServer


def _server_loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop where it is installed (uvicorn[standard] brings it, except on Windows), as
    ``uvicorn.run`` would pick: ``_serve`` runs uvicorn's server inside our own loop,
    and on asyncio's default one socket writes alone were a third of the server's busy
    samples (bench/results/http_overhead_narrow.md)."""
    try:
        import uvloop
    except ImportError:
        return None
    return uvloop.new_event_loop


async def _serve(settings: Settings) -> None:
    import uvicorn

    from memory_mesh.http.app import create_app

    _GracefulServer = _graceful_server_class()

    app = create_app(settings)
    config = uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level.lower(),
        lifespan="on",
        # our access log (memory_mesh.access) replaces uvicorn's, and our handler formats
        # uvicorn's own lines too, so it must not install its logging config
        access_log=False,
        log_config=None,
    )
    server = _GracefulServer(config)

    async def announce() -> None:
        while not server.started:
            if server.should_exit:
                return
            await asyncio.sleep(0.05)
        host, port = server.servers[0].sockets[0].getsockname()[:2]
        url = f"http://{host}:{port}"
        print(f"Memory Mesh listening on {url}", flush=True)
        print(f"API docs: {url}/docs", flush=True)

    announcer = asyncio.create_task(announce())
    await server.serve()
    announcer.cancel()
    if not server.started:
        raise SystemExit(1)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="memory-mesh", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the HTTP API, worker and embedded database")
    serve.add_argument("--host", help="address to bind (MEMORY_HOST)")
    serve.add_argument("--port", type=int, help="port to bind, 0 for any free one (MEMORY_PORT)")
    commands.add_parser(
        "mcp",
        help="an MCP server on stdio for desktop agents and IDEs, acting through the API at "
        "MEMORY_MCP_SERVER_URL with the key in MEMORY_MCP_API_KEY",
    )
    commands.add_parser("migrate", help="apply pending database migrations")
    replay = commands.add_parser("replay-failed", help="re-queue failed embeddings")
    replay.add_argument("--tenant-id", help="only this tenant's messages")
    reembed = commands.add_parser(
        "reembed", help="embed stored messages again (after the embedding text changed)"
    )
    reembed.add_argument("--tenant-id", help="only this tenant's messages")
    recontext = commands.add_parser(
        "recontext",
        help="store every message's context again (after MEMORY_MESSAGE_CONTEXT_CHARS changed)",
    )
    recontext.add_argument("--tenant-id", help="only this tenant's messages")
    user = commands.add_parser(
        "create-user", help="create a user, its tenant and an admin API key (printed once)"
    )
    user.add_argument("--email", required=True)
    user.add_argument("--tenant-id", required=True, help="the tenant to create and administer")
    user.add_argument("--superuser", action="store_true", help="may replay every tenant")
    user.add_argument(
        "--password-env",
        default="MEMORY_NEW_USER_PASSWORD",
        help="environment variable holding the password (asked for when unset)",
    )
    args = parser.parse_args(argv)

    overrides = {
        k: v
        for k, v in {
            "host": getattr(args, "host", None),
            "port": getattr(args, "port", None),
        }.items()
        if v is not None
    }
    settings = _settings(**overrides)
    configure_logging(settings)  # MEMORY_LOG_FORMAT: json or text, with the request id
    # a mistyped MEMORY_* name, or a value the configuration does not use, is never silent
    for warning in environment_warnings() + unused_setting_warnings(settings):
        log.warning(warning)
    if args.command == "serve":
        with asyncio.Runner(loop_factory=_server_loop_factory()) as runner:
            runner.run(_serve(settings))
    elif args.command == "mcp":
        _mcp_stdio(settings)
    elif args.command == "migrate":
        from memory_mesh.runtime import database_url
        from memory_mesh.store.migrations import migrate

        applied = migrate(database_url(settings), dimensions=settings.embedding_dimensions)
        print(f"applied migrations: {applied or 'none (up to date)'}")
    elif args.command == "replay-failed":
        asyncio.run(_replay(settings, args.tenant_id))
    elif args.command == "reembed":
        asyncio.run(_reembed(settings, args.tenant_id))
    elif args.command == "recontext":
        asyncio.run(_recontext(settings, args.tenant_id))
    elif args.command == "create-user":
        password = os.environ.get(args.password_env) or getpass.getpass("Password: ")
        asyncio.run(_create_user(settings, args.email, password, args.tenant_id, args.superuser))


def _mcp_stdio(settings: Settings) -> None:
    from memory_mesh.mcp.stdio import run_stdio

    if settings.mcp_api_key is None:
        print(
            "memory-mesh mcp: set MEMORY_MCP_API_KEY to an API key (memory-mesh create-user "
            "prints one; tenant admins make more with POST /v1/auth/api-keys)",
            file=sys.stderr,
        )
        raise SystemExit(2)
    asyncio.run(run_stdio(settings.mcp_server_url, settings.mcp_api_key.get_secret_value()))


async def _replay(settings: Settings, tenant_id: str | None) -> None:
    from memory_mesh.runtime import Runtime

    runtime = await Runtime.start(settings, run_worker=False)
    try:
        count = await runtime.pipeline.replay_failed(tenant_id)
        print(f"re-queued {count} failed embeddings; the server's worker will embed them")
    finally:
        await runtime.stop()


async def _reembed(settings: Settings, tenant_id: str | None) -> None:
    from memory_mesh.runtime import Runtime

    runtime = await Runtime.start(settings, run_worker=False)
    try:
        count = await runtime.pipeline.reembed(tenant_id)
        print(f"queued {count} messages to embed again; the server's worker will embed them")
    finally:
        await runtime.stop()


async def _recontext(settings: Settings, tenant_id: str | None) -> None:
    from memory_mesh.runtime import Runtime
    from memory_mesh.store import messages as message_store

    runtime = await Runtime.start(settings, run_worker=False)
    try:
        async with runtime.db.system() as conn:
            count = await message_store.set_context(
                conn, ids=None, chars=settings.message_context_chars, tenant_id=tenant_id
            )
        print(f"stored the context of {count} messages")
    finally:
        await runtime.stop()


async def _create_user(
    settings: Settings, email: str, password: str, tenant_id: str, superuser: bool
) -> None:
    from memory_mesh.domain.identity import ROLE_SCOPES, MemberRole, Principal, Scope
    from memory_mesh.errors import AppError
    from memory_mesh.runtime import Runtime

    runtime = await Runtime.start(settings, run_worker=False)
    try:
        user_id, tenant = await runtime.auth.register(
            email=email, password=password, tenant_id=tenant_id, is_superuser=superuser
        )
        admin = Principal(
            kind="user",
            id=user_id,
            user_id=user_id,
            tenants={tenant: ROLE_SCOPES[MemberRole.admin]},
        )
        made = await runtime.auth.create_api_key(
            admin,
            tenant_id=tenant,
            name="created by memory-mesh create-user",
            scopes=list(Scope),
            expires_in_days=None,
        )
    except AppError as exc:
        print(f"memory-mesh: {exc.message}", file=sys.stderr)
        raise SystemExit(2) from None
    finally:
        await runtime.stop()
    print(f"user {email} ({user_id}) administers tenant {tenant}")
    print(f"API key (shown once, store it now): {made.key}")


if __name__ == "__main__":
    main()
