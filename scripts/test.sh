#!/usr/bin/env bash
# Install everything the tests need on a fresh machine, then run every check and test.
# The README's test command; .ci/run calls exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."

# a virtual environment made from the lock (scripts/venv.sh), never the global site-packages
bash scripts/venv.sh requirements/test.txt
venv=$(cd "${MEMORY_MESH_VENV:-.venv}" && pwd)
export PATH="$venv/bin:$PATH" PYTHON="$venv/bin/python" UV="$venv/bin/uv"
# python3.12 beside 3.11 for `sam build` (pyenv machines; elsewhere it is on PATH)
# (grep reads all of pyenv's list: `grep -q` would quit at the match, pyenv would die of
# SIGPIPE and pipefail would make the test false now and then)
if command -v pyenv >/dev/null 2>&1 && pyenv versions --bare | grep -x '3.12.1' >/dev/null; then
    export PYENV_VERSION=${PYENV_VERSION:-$(pyenv version-name):3.12.1}
fi

# the tests talk to a real Redis; install the Debian package when it is missing
if ! command -v redis-server >/dev/null 2>&1; then
    echo "== installing redis-server"
    apt-get update -qq && apt-get install -y -qq redis-server >/dev/null
fi

# INTEGRATION.md's Go example is run against a real server (tests/e2e/test_examples.py)
if ! command -v go >/dev/null 2>&1; then
    echo "== installing golang-go"
    apt-get update -qq && apt-get install -y -qq golang-go >/dev/null
fi

echo "== locks"; bash scripts/lock.sh --check  # pyproject.toml and the locks agree
echo "== ruff"; "$PYTHON" -m ruff check . && "$PYTHON" -m ruff format --check .
echo "== mypy"; "$PYTHON" -m mypy
# dependency audit (scripts/audit.sh, docs/RELIABILITY.md): a known vulnerability fails
# the run; an advisory service that cannot be reached is printed as NOT checked
echo "== dependency audit"; bash scripts/audit.sh
[ -n "${SKIP_FRONTEND:-}" ] || bash scripts/test-frontend.sh  # dashboard: lint, vitest, build, playwright
echo "== pytest"
# on both cores (pytest-xdist, PYTEST_WORKERS=0 for one process): a test file per worker
# (its module fixtures made once); every fixture is per worker, what one run makes once
# is shared under a lock (tests/infra/shared_build.py). A worker whose end hangs (seen
# twice, not understood) is stopped by tests/conftest.py's watchdog with every thread's
# stack printed, and fails the run. The slowest tests are listed at the end.
"$PYTHON" -m pytest -n "${PYTEST_WORKERS:-2}" --dist loadfile --durations=30 "$@"
