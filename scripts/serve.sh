#!/usr/bin/env bash
# The README's first command: install memory-mesh from the lock into .venv (a new virtual
# environment, made once), build the web dashboard once when npm is installed, and run the
# service on the embedded defaults. Arguments go to `memory-mesh serve` (e.g. --port 9000).
set -euo pipefail
cd "$(dirname "$0")/.."
venv=${MEMORY_MESH_VENV:-.venv}
# an environment made from the test lock already holds everything the service needs
if ! grep -qs '^requirements/test.txt ' "$venv/memory-mesh.lock-stamp"; then
    bash scripts/venv.sh requirements/service.txt
fi
# the web dashboard at /: built once from the checkout when Node is here (an editable
# install never builds it; without Node, / says what to run)
if [ ! -f frontend/out/index.html ] && [ -z "${MEMORY_DASHBOARD_DIR:-}" ]; then
    if command -v npm >/dev/null 2>&1; then
        echo "== building the web dashboard (once; about a minute)"
        bash scripts/build-dashboard.sh || echo "serve: the dashboard did not build; / says what to run" >&2
    else
        echo "serve: no npm, so no web dashboard at / (it says what to run); the API is complete" >&2
    fi
fi
exec "$venv/bin/memory-mesh" serve "$@"
