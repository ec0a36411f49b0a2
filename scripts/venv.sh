#!/usr/bin/env bash
# Make the virtual environment match a lock file exactly, then install memory-mesh into it
# (editable, without its dependencies: the lock holds them all, with their hashes), and,
# from the test lock, the Python client (clients/python) the same way.
#
#   bash scripts/venv.sh requirements/test.txt      (scripts/test.sh)
#   bash scripts/venv.sh requirements/service.txt   (scripts/serve.sh)
#
# The environment is MEMORY_MESH_VENV (default .venv). It is made anew whenever the lock or
# pyproject.toml changed since it was last made, so a package left behind never hides a
# missing or drifting dependency; otherwise it is reused as it is. Never touches the
# machine's global site-packages.
set -euo pipefail
cd "$(dirname "$0")/.."

lock=${1:?usage: scripts/venv.sh <lock file>}
venv=${MEMORY_MESH_VENV:-.venv}
python=${PYTHON_FOR_VENV:-python3}
stamp="$venv/memory-mesh.lock-stamp"
want="$lock $(cat "$lock" pyproject.toml clients/python/pyproject.toml | sha256sum | cut -c1-64)"

if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && [ -x "$venv/bin/python" ]; then
    exit 0
fi
echo "== new virtual environment $venv from $lock"
rm -rf "$venv"
"$python" -m venv "$venv"
pip=("$venv/bin/python" -m pip -qq --disable-pip-version-check)  # errors only
install=("${pip[@]}" install)
# where the lock pins uv (the test lock), pip installs just uv, by its locked hashes, and
# uv the rest: parallel downloads and a cache kept across runs make it several times faster
uv_pin="$venv/uv-pin.txt"
sed -n '/^uv==/,/[^\\]$/p' "$lock" > "$uv_pin"
if [ -s "$uv_pin" ]; then
    "${pip[@]}" install --require-hashes --no-deps -r "$uv_pin"
    install=("$venv/bin/uv" pip install --quiet --python "$venv/bin/python")
fi
rm -f "$uv_pin"
"${install[@]}" --require-hashes --no-deps -r "$lock"
"${install[@]}" --no-deps --no-build-isolation -e .
# the Python client (clients/python), where the lock holds its build backend and its
# dependencies (the test lock)
if grep -q '^hatchling==' "$lock"; then
    "${install[@]}" --no-deps --no-build-isolation -e clients/python
fi
"${pip[@]}" check  # every dependency of every locked package is in the lock
echo "$want" > "$stamp"
