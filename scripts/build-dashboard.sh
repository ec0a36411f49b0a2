#!/usr/bin/env bash
# Build the web dashboard (frontend/, a Next.js static export) into frontend/out, which
# `memory-mesh serve` then serves at /. Needs Node.js 20.19+ and npm. Installs from the
# committed lock (npm ci) only when node_modules is missing or older than the lock.
# Also run by the package build (setup.py), so every wheel carries the dashboard.
set -euo pipefail
cd "$(dirname "$0")/../frontend"
export NEXT_TELEMETRY_DISABLED=1 PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1

command -v npm >/dev/null || {
    echo "build-dashboard: Node.js 20.19+ and npm are required (https://nodejs.org)" >&2
    exit 1
}
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    echo "== npm ci (frontend)"
    npm ci --no-audit --no-fund --loglevel=error
fi
echo "== next build (frontend/out)"
npm run -s build
