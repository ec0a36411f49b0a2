#!/usr/bin/env bash
# Move every lock to the newest versions its inputs allow, then run the whole suite on
# them in a new virtual environment, so the project does not freeze on old, vulnerable
# releases. Run it on a schedule (weekly, say) or by hand; it changes only the working
# tree: review `git diff requirements/ layers/core/requirements.txt`, then commit.
#
#   bash scripts/upgrade.sh          re-lock with --upgrade, then scripts/test.sh
#   bash scripts/upgrade.sh -k auth  arguments go to pytest, as with scripts/test.sh
#
# Exit status: the suite's. On failure the new locks stay in the working tree to debug;
# `git checkout requirements/ layers/core/requirements.txt` puts the old ones back.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/venv.sh requirements/test.txt  # a uv from the current lock
UV=${UV:-$PWD/${MEMORY_MESH_VENV:-.venv}/bin/uv}
export UV
locks=(requirements/service.txt requirements/test.txt layers/core/requirements.txt)
before=$(mktemp)
trap 'rm -f "$before"' EXIT
cat "${locks[@]}" | grep -E '^[A-Za-z0-9]' | sort > "$before"
bash scripts/lock.sh --upgrade
echo "== what moved (old -> new)"
pins() { sed -E 's/ *\\$//; s/ *;.*//; s/==/ /' | sort -u -k1,1; }
join <(pins < "$before") <(cat "${locks[@]}" | grep -E '^[A-Za-z0-9]' | pins) \
    | awk '$2 != $3 { print "  " $1 ": " $2 " -> " $3 }'
echo "== the whole suite on the new locks"
bash scripts/test.sh "$@"
