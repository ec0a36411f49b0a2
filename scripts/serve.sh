#!/usr/bin/env bash
# The README's first command: install memory-mesh from the lock into .venv (a new virtual
# environment, made once) and run the service on the embedded defaults. Arguments go to
# `memory-mesh serve` (e.g. --port 9000).
set -euo pipefail
cd "$(dirname "$0")/.."
venv=${MEMORY_MESH_VENV:-.venv}
# an environment made from the test lock already holds everything the service needs
if ! grep -qs '^requirements/test.txt ' "$venv/memory-mesh.lock-stamp"; then
    bash scripts/venv.sh requirements/service.txt
fi
exec "$venv/bin/memory-mesh" serve "$@"
