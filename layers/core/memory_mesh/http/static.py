"""The web dashboard: the built static export (``frontend/out``) served at ``/``.

A file of the export is served as it is; any other GET of a page path gets
``index.html``, and the dashboard routes in the browser. It never shadows the API:
it only answers when no route matched at all (so 404 / 405 / slash redirects of the
API are unchanged), and paths under /v1 (any /vN), /ws, /docs, /redoc, /openapi.json
and /metrics always keep the API's JSON 404.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

from fastapi import FastAPI
from starlette.responses import FileResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from memory_mesh.config import Settings

log = logging.getLogger(__name__)

RESERVED_PREFIXES = ("/v1", "/ws", "/docs", "/redoc", "/openapi.json", "/metrics")
_API_VERSION = re.compile(r"^/v\d+(/|$)")  # /v0, /v2, ...: any version of the API
# layers/core/memory_mesh/http/static.py -> the repository root
REPO_EXPORT = Path(__file__).resolve().parents[4] / "frontend" / "out"

_IMMUTABLE = "public, max-age=31536000, immutable"  # content-hashed names under /_next/static
_REVALIDATE = "no-cache"


def dashboard_dir(settings: Settings) -> Path | None:
    """MEMORY_DASHBOARD_DIR, else the repository's frontend/out once built, else None."""
    if settings.dashboard_dir is not None:
        return settings.dashboard_dir
    return REPO_EXPORT if (REPO_EXPORT / "index.html").is_file() else None


def mount_dashboard(app: FastAPI, settings: Settings) -> None:
    """Serve the dashboard from the app's not-found path (a no-op when none is built)."""
    root = dashboard_dir(settings)
    if root is None:
        return
    app.router.default = DashboardFallback(root, app.router.default)
    log.info("serving the dashboard from %s at /", root)


def is_reserved(path: str) -> bool:
    """Paths of the API and its documents: never answered with a dashboard file."""
    if _API_VERSION.match(path):
        return True
    return any(path == p or path.startswith(p + "/") for p in RESERVED_PREFIXES)


class DashboardFallback:
    """ASGI app run when no route matched: a file of the export, the SPA page, or the
    API's own not-found answer."""

    def __init__(self, root: Path, not_found: ASGIApp) -> None:
        self.root = root.resolve()
        self.not_found = not_found

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "/")
        found = None
        if scope["type"] == "http" and scope["method"] in ("GET", "HEAD") and not is_reserved(path):
            found = self.resolve(path)
        if found is None:
            await self.not_found(scope, receive, send)
            return
        cache = _IMMUTABLE if path.startswith("/_next/static/") else _REVALIDATE
        await FileResponse(found, headers={"cache-control": cache})(scope, receive, send)

    def resolve(self, path: str) -> Path | None:
        """The file for a URL path; index.html for unknown page paths; None for a
        missing asset (a script must not receive HTML) or a path leaving the root."""
        relative = path.lstrip("/")
        candidate = (self.root / relative).resolve()
        if candidate != self.root and self.root not in candidate.parents:
            return None
        if candidate.is_dir():
            candidate = candidate / "index.html"
        if candidate.is_file():
            return candidate
        page = (self.root / f"{relative.rstrip('/')}.html").resolve()
        if relative and self.root in page.parents and page.is_file():
            return page
        last = path.rstrip("/").rsplit("/", 1)[-1]
        if path.startswith("/_next/") or "." in last:
            return None
        index = self.root / "index.html"
        return index if index.is_file() else None
