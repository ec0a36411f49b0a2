#!/usr/bin/env bash
# The dependency locks: exact versions with hashes for every Python dependency set.
#
#   requirements/service.txt    memory-mesh and what it needs to run (Python 3.11+, any OS)
#   requirements/test.txt       the same plus the `test` extra (tests, benchmarks, linters)
#   layers/core/requirements.txt  the Lambda layer: python3.12 on x86_64 Linux (sam build)
#
# Inputs: pyproject.toml (ranges), requirements/build.in (what builds the package), and
# layers/core/requirements.in (the layer's ranges). The locks are made by `uv pip compile`.
#
# usage: bash scripts/lock.sh            re-lock after editing an input; every version that
#                                        still satisfies the inputs is kept as it is
#        bash scripts/lock.sh --upgrade  newest versions of everything (scripts/upgrade.sh)
#        bash scripts/lock.sh --check    exit 1 when a lock no longer matches its inputs
#                                        (CI: scripts/test.sh); changes nothing
set -euo pipefail
cd "$(dirname "$0")/.."

mode=${1:-}
case "$mode" in "" | --upgrade | --check) ;; *) echo "usage: $0 [--upgrade|--check]" >&2; exit 2 ;; esac

uv=${UV:-}
if [ -z "$uv" ]; then
    if [ -x .venv/bin/uv ]; then uv=.venv/bin/uv; elif command -v uv >/dev/null; then uv=uv; else
        echo "lock.sh needs uv: run scripts/test.sh once (it installs the locked uv into .venv)" >&2
        exit 2
    fi
fi
export UV_NATIVE_TLS=${UV_NATIVE_TLS:-1}  # the system's certificate store, as pip uses

compile() {  # compile <lock file> <uv pip compile arguments...>
    local lock=$1; shift
    local out=$lock
    if [ "$mode" = --check ]; then
        out=$(mktemp); cp "$lock" "$out"
    fi
    local extra=()
    [ "$mode" = --upgrade ] && extra+=(--upgrade)
    "$uv" pip compile --quiet --generate-hashes --custom-compile-command "bash scripts/lock.sh" \
        "${extra[@]}" "$@" -o "$out"
    if [ "$mode" = --check ]; then
        # compare what is pinned, not the hash lists (an index may add a wheel to a release)
        if ! diff <(grep -E '^[A-Za-z0-9]' "$lock") <(grep -E '^[A-Za-z0-9]' "$out") >/dev/null; then
            echo "$lock does not match its inputs; run: bash scripts/lock.sh" >&2
            diff <(grep -E '^[A-Za-z0-9]' "$lock") <(grep -E '^[A-Za-z0-9]' "$out") >&2 || true
            rm -f "$out"; return 1
        fi
        rm -f "$out"; echo "$lock: matches its inputs"
    fi
}

status=0
compile requirements/test.txt --universal --python-version 3.11 --extra test \
    pyproject.toml requirements/build.in || status=1
# the service ships exactly the versions the tests ran with: the test lock constrains it
compile requirements/service.txt --universal --python-version 3.11 \
    -c requirements/test.txt pyproject.toml requirements/build.in || status=1
compile layers/core/requirements.txt --python-version 3.12 \
    --python-platform x86_64-manylinux_2_28 layers/core/requirements.in || status=1
exit $status
