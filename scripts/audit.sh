#!/usr/bin/env bash
# Dependency audit: known vulnerabilities in what Memory Mesh ships (docs/RELIABILITY.md,
# "Dependency audit"; scripts/test.sh runs it).
#
# - Python: what ships, at the locked versions: requirements/service.txt (the service)
#   and layers/core/requirements.txt (the Lambda layer), with pip-audit: against its
#   default service (the package index's JSON API), or OSV when that cannot be reached.
# - npm: the dashboard's production packages (frontend/package-lock.json), `npm audit
#   --omit=dev`, against the npm registry's advisory service.
#
# Exit 1 on any known vulnerability. An advisory service that cannot be reached is NOT a
# pass: the output says "dependency audit could not reach <service>: not checked" and the
# run goes on (exit 0), so that CI in a sandbox without those services still runs. Where
# they are reachable, set AUDIT_STRICT=1 to fail (exit 2) when one cannot be reached.
#
# For tests: AUDIT_PIP_AUDIT and AUDIT_NPM replace the pip-audit and npm commands.
set -uo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
findings=0
unchecked=0

# classify a pip-audit or npm audit JSON answer: prints the verdict, exits
# 0 (checked, nothing found), 1 (vulnerabilities found), 3 (service not reached)
classify() {
    "$PYTHON" - "$@" <<'EOF'
import json
import sys

kind, answer_path, errors_path, service = sys.argv[1:5]
try:
    answer = json.load(open(answer_path))
except (OSError, ValueError):
    answer = None
errors = open(errors_path).read().strip().splitlines()
why = errors[-1] if errors else "no answer"

if kind == "python":
    if not isinstance(answer, dict) or "dependencies" not in answer:
        print(f"dependency audit could not reach {service}: not checked ({why})")
        sys.exit(3)
    deps = answer["dependencies"]
    checked = [d for d in deps if "skip_reason" not in d]
    skipped = [d for d in deps if "skip_reason" in d]
    if not checked:
        reason = skipped[0]["skip_reason"] if skipped else "no packages"
        print(
            f"dependency audit could not reach {service}: not checked "
            f"(all {len(skipped)} packages skipped, e.g. {reason!r})"
        )
        sys.exit(3)
    found = [d for d in checked if d["vulns"]]
    for d in found:
        for v in d["vulns"]:
            fixes = ", ".join(v.get("fix_versions") or []) or "none yet"
            print(f"VULNERABLE {d['name']} {d['version']}: {v['id']} (fixed in: {fixes})")
    for d in skipped:
        print(f"NOT CHECKED {d['name']}: {d['skip_reason']}")
    verdict = f"{len(found)} vulnerable" if found else "no known vulnerabilities"
    print(f"python: {len(checked)} packages checked against {service}: {verdict}")
    sys.exit(1 if found else 0)

# npm audit --json
if not isinstance(answer, dict) or "auditReportVersion" not in answer:
    message = answer.get("message") if isinstance(answer, dict) else None
    print(f"dependency audit could not reach {service}: not checked ({message or why})")
    sys.exit(3)
counts = answer.get("metadata", {}).get("vulnerabilities", {})
total = int(counts.get("total", 0))
for name, v in sorted(answer.get("vulnerabilities", {}).items()):
    titles = [x["title"] for x in v.get("via", []) if isinstance(x, dict) and "title" in x]
    print(f"VULNERABLE {name} ({v.get('severity')}): {'; '.join(titles) or v.get('via')}")
packages = answer.get("metadata", {}).get("dependencies", {}).get("prod", "?")
verdict = f"{total} vulnerable" if total else "no known vulnerabilities"
print(f"npm: {packages} production packages checked against {service}: {verdict}")
sys.exit(1 if total else 0)
EOF
}

tally() { # the exit code of classify -> the counts
    case $1 in
        0) ;;
        1) findings=$((findings + 1)) ;;
        *) unchecked=$((unchecked + 1)) ;;
    esac
}

echo "-- python packages"
# what ships, exactly as locked: the service's lock and the Lambda layer's lock
if "$PYTHON" - "$work" <<'EOF'; then
import re
import sys
from pathlib import Path

from packaging.markers import Marker

# one file per lock (pip-audit refuses a name twice; the locks may pin a package
# differently): the universal service lock as it installs here, the layer lock as it is
LOCKS = {"service": "requirements/service.txt", "layer": "layers/core/requirements.txt"}
pin = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^ ;\\]+)(?: ; ([^\\]+))?")
for part, lock in LOCKS.items():
    pinned = []
    for line in Path(lock).read_text().splitlines():
        if (match := pin.match(line)) and (not match[3] or Marker(match[3]).evaluate()):
            pinned.append(f"{match[1].lower()}=={match[2]}")
    Path(sys.argv[1], f"{part}.txt").write_text("".join(f"{p}\n" for p in pinned))
    print(f"{len(pinned)} locked packages to audit ({lock})")
EOF
    if [ -n "${AUDIT_PIP_AUDIT:-}" ]; then
        read -r -a pip_audit <<<"$AUDIT_PIP_AUDIT"
    else
        pip_audit=("$PYTHON" -m pip_audit)
        if ! "$PYTHON" -c "import pip_audit" 2>/dev/null; then
            "$PYTHON" -m pip install --quiet --disable-pip-version-check "pip-audit>=2.7" \
                || echo "could not install pip-audit"
        fi
    fi
    worst=0  # over the two locks: a finding (1) outranks not checked (3) outranks clean
    for part in service layer; do
        status=3
        for service in pypi osv; do
            timeout 600 "${pip_audit[@]}" -r "$work/$part.txt" --no-deps --disable-pip \
                --vulnerability-service "$service" --format json --progress-spinner off \
                >"$work/pip-audit.json" 2>"$work/pip-audit.err"
            classify python "$work/pip-audit.json" "$work/pip-audit.err" \
                "pip-audit's $service vulnerability service"
            status=$?
            [ "$status" -eq 3 ] || break # reached (found or not): no need for the next service
        done
        if [ "$status" -eq 1 ] || { [ "$status" -eq 3 ] && [ "$worst" -ne 1 ]; }; then
            worst=$status
        fi
    done
    status=$worst
    tally "$status"
else
    echo "dependency audit could not read the locks: python not checked"
    tally 3
fi

echo "-- npm packages (frontend, production)"
if [ ! -f frontend/package-lock.json ]; then
    echo "dependency audit: no frontend/package-lock.json: npm not checked"
    tally 3
else
    read -r -a npm <<<"${AUDIT_NPM:-npm}"
    if ! command -v "${npm[0]}" >/dev/null 2>&1; then
        echo "dependency audit: npm is not installed: npm packages not checked"
        tally 3
    else
        (cd frontend && timeout 600 "${npm[@]}" audit --omit=dev --json) \
            >"$work/npm-audit.json" 2>"$work/npm-audit.err"
        classify npm "$work/npm-audit.json" "$work/npm-audit.err" \
            "the npm registry's advisory service"
        tally $?
    fi
fi

echo "-- dependency audit: $findings part(s) with known vulnerabilities, $unchecked part(s) NOT CHECKED"
if [ "$findings" -gt 0 ]; then
    exit 1
fi
if [ "$unchecked" -gt 0 ]; then
    echo "!! dependency audit INCOMPLETE: an advisory service could not be reached (see above)"
    [ "${AUDIT_STRICT:-0}" = 1 ] && exit 2
fi
exit 0
