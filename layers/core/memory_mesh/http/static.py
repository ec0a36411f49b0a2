"""The web dashboard: the built static export served at ``/``.

Where it comes from: ``MEMORY_DASHBOARD_DIR``; else the copy inside the installed package
(every wheel carries one, built at package build time by setup.py); else the checkout's
``frontend/out`` (an editable install, once ``scripts/build-dashboard.sh`` ran). With none
of them, ``/`` answers one page saying exactly what to run.

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
from starlette.responses import FileResponse, HTMLResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from memory_mesh.config import Settings

log = logging.getLogger(__name__)

RESERVED_PREFIXES = ("/v1", "/ws", "/docs", "/redoc", "/openapi.json", "/metrics")
_API_VERSION = re.compile(r"^/v\d+(/|$)")  # /v0, /v2, ...: any version of the API
# memory_mesh/http/static.py -> memory_mesh/dashboard: where setup.py puts it in a wheel
PACKAGED_EXPORT = Path(__file__).resolve().parents[1] / "dashboard"
# layers/core/memory_mesh/http/static.py -> the repository root
REPO_EXPORT = Path(__file__).resolve().parents[4] / "frontend" / "out"

_IMMUTABLE = "public, max-age=31536000, immutable"  # content-hashed names under /_next/static
_REVALIDATE = "no-cache"


def dashboard_dir(settings: Settings) -> Path | None:
    """MEMORY_DASHBOARD_DIR, else the package's copy, else the repository's frontend/out
    once built, else None."""
    if settings.dashboard_dir is not None:
        return settings.dashboard_dir
    for candidate in (PACKAGED_EXPORT, REPO_EXPORT):
        if (candidate / "index.html").is_file():
            return candidate
    return None


def mount_dashboard(app: FastAPI, settings: Settings, *, explain_missing: bool = True) -> None:
    """Serve the dashboard from the app's not-found path; without one, a page at ``/``
    saying how to build it (``explain_missing``: the local server, not a Lambda)."""
    root = dashboard_dir(settings)
    if root is None:
        if not explain_missing:
            return
        app.router.default = BuildInstructions(app.router.default)
        log.info("no built dashboard: / explains how to build it (scripts/build-dashboard.sh)")
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


BUILD_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Memory Mesh</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:42rem;margin:3rem auto;padding:0 1rem}
code,pre{background:#f3f3f3;border-radius:4px;padding:.1rem .3rem}pre{padding:.8rem}</style>
</head><body>
<h1>Memory Mesh is running</h1>
<p>The API answers here (<a href="/docs">API docs</a>, <a href="/openapi.json">OpenAPI</a>).
The web dashboard is not built in this install: an editable install from a checkout
(<code>pip install -e .</code>) does not build it, since that needs Node.js.</p>
<p>To get the dashboard at this address, install Node.js 20.19+ and run, from the
repository root:</p>
<pre>bash scripts/build-dashboard.sh</pre>
<p>then restart <code>memory-mesh serve</code>. (<code>bash scripts/serve.sh</code> does both
when npm is installed; a wheel of memory-mesh always includes the dashboard.)</p>
</body></html>
"""


class BuildInstructions:
    """ASGI app run when no route matched and no dashboard is built: ``GET /`` gets the
    page above; anything else the API's own not-found answer."""

    def __init__(self, not_found: ASGIApp) -> None:
        self.not_found = not_found

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and scope["method"] in ("GET", "HEAD")
            and scope["path"]
            in (
                "/",
                "/index.html",
            )
        ):
            await HTMLResponse(BUILD_PAGE, headers={"cache-control": _REVALIDATE})(
                scope, receive, send
            )
            return
        await self.not_found(scope, receive, send)
