#!/usr/bin/env bash
# The web dashboard's checks and tests: lint, types, component tests (Vitest + Testing
# Library), the static export, and end-to-end tests in Debian's Chromium
# (@playwright/test) against a real `memory-mesh serve` on the embedded defaults.
# Needs Node 20.19+ and the Python package installed (`pip install -e .`).
set -euo pipefail
cd "$(dirname "$0")/../frontend"

export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 NEXT_TELEMETRY_DISABLED=1
export CHROMIUM_PATH="${CHROMIUM_PATH:-/usr/bin/chromium}"
started=$SECONDS

# the browser comes from Debian, never from a Playwright download
if [ ! -x "$CHROMIUM_PATH" ]; then
    echo "== installing chromium"
    apt-get update -qq && apt-get install -y -qq chromium >/dev/null
fi
command -v npm >/dev/null || { echo "test-frontend: Node.js 20.19+ and npm are required" >&2; exit 1; }
command -v memory-mesh >/dev/null || { echo "test-frontend: run 'pip install -e .' first" >&2; exit 1; }

echo "== npm ci (frontend)"; npm ci --no-audit --no-fund --loglevel=error
echo "== eslint"; npm run -s lint
echo "== tsc"; npm run -s typecheck
echo "== vitest"; npx vitest run
echo "== next build"; npm run -s build
echo "== playwright (screenshots in frontend/test-results/screenshots)"; npx playwright test
echo "== frontend done in $((SECONDS - started)) s"
