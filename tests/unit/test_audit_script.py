"""scripts/audit.sh decides from what pip-audit and npm audit answer: a finding fails the
run, an advisory service that cannot be reached is reported as NOT checked (never as a
pass), clean answers pass. pip-audit and npm are replaced by a stand-in that answers as
each case needs (the real services are not reachable from the test machine)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

FAKE = r"""
import json, sys
tool, mode = sys.argv[1], sys.argv[2]
args = sys.argv[3:]
if tool == "pip-audit":
    service = args[args.index("--vulnerability-service") + 1]
    answer = mode.split(",")[["pypi", "osv"].index(service)]
    if answer == "clean":
        print(json.dumps({"dependencies": [
            {"name": "fastapi", "version": "0.1", "vulns": []},
            {"name": "memory-extra", "skip_reason": "Dependency not found on PyPI"}],
            "fixes": []}))
    elif answer == "vulnerable":
        print(json.dumps({"dependencies": [
            {"name": "fastapi", "version": "0.1", "vulns": []},
            {"name": "jinja2", "version": "2.0",
             "vulns": [{"id": "PYSEC-0000-1", "fix_versions": ["2.11.3"]}]}], "fixes": []}))
        sys.exit(1)
    elif answer == "skipped":  # what the index's mirror here makes pip-audit say
        print(json.dumps({"dependencies": [
            {"name": "fastapi", "skip_reason": "Dependency not found on PyPI and could not be"
             " audited: fastapi (0.1)"}], "fixes": []}))
    else:  # no answer at all: a traceback
        print("requests.exceptions.ConnectionError: Failed to resolve", file=sys.stderr)
        sys.exit(1)
else:  # npm audit --omit=dev --json
    if mode == "clean":
        print(json.dumps({"auditReportVersion": 2, "vulnerabilities": {}, "metadata": {
            "vulnerabilities": {"total": 0}, "dependencies": {"prod": 42}}}))
    elif mode == "vulnerable":
        print(json.dumps({"auditReportVersion": 2, "vulnerabilities": {"next": {
            "severity": "high", "via": [{"title": "Cache poisoning"}]}}, "metadata": {
            "vulnerabilities": {"high": 1, "total": 1}, "dependencies": {"prod": 42}}}))
        sys.exit(1)
    else:
        print(json.dumps({"message": "405 Method Not Allowed - POST advisories/bulk"}))
        sys.exit(1)
"""


def _audit(tmp_path: Path, python: str, npm: str, **env: str) -> tuple[int, str]:
    fake = tmp_path / "fake.py"
    fake.write_text(FAKE)
    environment = {
        **os.environ,
        "AUDIT_PIP_AUDIT": f"{sys.executable} {fake} pip-audit {python}",
        "AUDIT_NPM": f"{sys.executable} {fake} npm {npm}",
        "PYTHON": sys.executable,
        **env,
    }
    done = subprocess.run(
        ["bash", str(ROOT / "scripts" / "audit.sh")],
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )
    return done.returncode, done.stdout + done.stderr


def test_clean_answers_pass(tmp_path: Path) -> None:
    code, out = _audit(tmp_path, "clean,clean", "clean")
    assert code == 0, out
    assert "python: 1 packages checked against pip-audit's pypi" in out
    assert "npm: 42 production packages checked" in out
    assert "could not reach" not in out and "INCOMPLETE" not in out
    assert "NOT CHECKED memory-extra" in out  # a skipped package is named


@pytest.mark.parametrize(
    ("python", "npm"), [("vulnerable,clean", "clean"), ("clean,x", "vulnerable")]
)
def test_a_finding_fails_the_run(tmp_path: Path, python: str, npm: str) -> None:
    code, out = _audit(tmp_path, python, npm)
    assert code == 1, out
    assert "VULNERABLE" in out


def test_unreachable_services_are_loud_and_not_a_pass(tmp_path: Path) -> None:
    code, out = _audit(tmp_path, "skipped,unreachable", "unreachable")
    assert code == 0, out
    assert (
        "dependency audit could not reach pip-audit's pypi vulnerability service: not checked"
        in out
    )
    assert (
        "dependency audit could not reach pip-audit's osv vulnerability service: not checked" in out
    )
    assert (
        "dependency audit could not reach the npm registry's advisory service: not checked" in out
    )
    assert "no known vulnerabilities" not in out
    assert "2 part(s) NOT CHECKED" in out and "INCOMPLETE" in out
    strict, _ = _audit(tmp_path, "skipped,unreachable", "unreachable", AUDIT_STRICT="1")
    assert strict == 2


def test_osv_is_used_when_the_default_service_is_not_reachable(tmp_path: Path) -> None:
    code, out = _audit(tmp_path, "skipped,vulnerable", "clean")
    assert code == 1, out
    assert "VULNERABLE jinja2 2.0: PYSEC-0000-1 (fixed in: 2.11.3)" in out
    assert "checked against pip-audit's osv vulnerability service: 1 vulnerable" in out


def test_a_finding_fails_even_when_another_part_was_not_checked(tmp_path: Path) -> None:
    code, out = _audit(tmp_path, "unreachable,unreachable", "vulnerable", AUDIT_STRICT="0")
    assert code == 1, out
    assert "could not reach" in out and "VULNERABLE next (high): Cache poisoning" in out
