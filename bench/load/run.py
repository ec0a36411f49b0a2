"""Run the Locust mixed workload headless against a fresh local server and write
bench/results/load.md: error rate, throughput, p50/p99 per request type, and the rate
limiter's accuracy measured under that load.

    python -m bench.load.run --users 20 --minutes 3 [--out bench/results]

Writes ``<out>/load.json`` (every figure) and ``<out>/load.md``.

Rate-limiter accuracy: every caller (API key) has MEMORY_GLOBAL_RATE_LIMIT (``--limit``
per minute). While Locust runs, one extra key sends requests as fast as it can for
``--limiter-seconds`` from a cold window; a one-minute moving window must allow exactly
``--limit`` of them (as long as the threads can send that many in the time).
"""

from __future__ import annotations

import argparse
import csv
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx

from bench import report
from bench.server import ServerProcess

ROOT = Path(__file__).resolve().parents[2]
LIMIT = 600  # per caller per minute, by default
PASSWORD = "correct horse battery staple"


def account(url: str) -> tuple[str, str]:
    tenant = f"load-{uuid.uuid4().hex[:10]}"
    email = f"{tenant}@example.com"
    with httpx.Client(base_url=url, timeout=30) as http:
        http.post(
            "/v1/auth/register", json={"email": email, "password": PASSWORD, "tenant_id": tenant}
        ).raise_for_status()
        token = http.post("/v1/auth/login", json={"email": email, "password": PASSWORD}).json()[
            "access_token"
        ]
        made = http.post(
            "/v1/auth/api-keys",
            json={"name": "load", "scopes": ["read", "write"]},
            headers={"Authorization": f"Bearer {token}"},
        )
        made.raise_for_status()
    return tenant, str(made.json()["key"])


def hammer(url: str, key: str, seconds: float, threads: int = 4) -> tuple[int, int, int]:
    """Send GET /v1/auth/me as fast as possible for ``seconds``: (allowed, refused, other)."""
    counts = {"allowed": 0, "refused": 0, "other": 0}
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def worker() -> None:
        with httpx.Client(base_url=url, headers={"x-api-key": key}, timeout=30) as http:
            while time.monotonic() < deadline:
                status = http.get("/v1/auth/me").status_code
                kind = "allowed" if status == 200 else "refused" if status == 429 else "other"
                with lock:
                    counts[kind] += 1
                if status == 429:
                    time.sleep(0.01)

    with ThreadPoolExecutor(threads) as pool:
        for _ in range(threads):
            pool.submit(worker)
    return counts["allowed"], counts["refused"], counts["other"]


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--minutes", type=float, default=3.0)
    parser.add_argument("--limit", type=int, default=LIMIT, help="caller requests/minute")
    parser.add_argument("--limiter-seconds", type=float, default=60.0)
    parser.add_argument("--out", type=Path, default=ROOT / "bench/results")
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="memory-mesh-load-"))
    server = ServerProcess(
        work / "data",
        MEMORY_ENVIRONMENT="test",
        MEMORY_JWT_SECRET_KEY="load-test-secret-" + "k" * 40,
        MEMORY_GLOBAL_RATE_LIMIT=f"{args.limit}/minute",
        MEMORY_TENANT_RATE_LIMIT="1000000/minute",
    )
    try:
        url = server.url()
        accounts = [account(url) for _ in range(args.users)]
        _, limited_key = account(url)
        env = {"MEMORY_LOAD_ACCOUNTS": ",".join(f"{t}:{k}" for t, k in accounts)}
        seconds = max(1, round(args.minutes * 60))
        locust = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "locust",
                "-f",
                str(Path(__file__).with_name("locustfile.py")),
                "--headless",
                "--host",
                url,
                "-u",
                str(args.users),
                "-r",
                str(args.users),
                "-t",
                f"{seconds}s",
                "--csv",
                str(work / "load"),
                "--only-summary",
            ],
            env={**os.environ, **env},
        )
        time.sleep(min(20, seconds / 4))  # measure the limiter with the load running
        limiter = hammer(url, limited_key, args.limiter_seconds)
        locust.wait()
        with (work / "load_stats.csv").open() as stats:
            rows = list(csv.DictReader(stats))
    finally:
        server.stop()
        shutil.rmtree(work, ignore_errors=True)
    results = summarise(args, rows, limiter, seconds)
    report.write_json_and_markdown(results, args.out, "load", render)
    print((args.out / "load.md").read_text())
    return results


def summarise(
    args: argparse.Namespace,
    rows: list[dict[str, str]],
    limiter: tuple[int, int, int],
    seconds: int,
) -> dict[str, Any]:
    """Locust's per-request rows and the limiter's counts as one JSON-able record."""
    requests = []
    for row in rows:
        count, failures = int(row["Request Count"]), int(row["Failure Count"])
        requests.append(
            {
                "name": row["Name"],
                "count": count,
                "failures": failures,
                "error_rate": failures / count if count else 0.0,
                "requests_per_s": float(row["Requests/s"]),
                "p50_ms": _ms(row["50%"]),
                "p99_ms": _ms(row["99%"]),
                "max_ms": _ms(row["Max Response Time"]),
            }
        )
    allowed, refused, other = limiter
    argv = ["--users", str(args.users), "--minutes", str(args.minutes)]
    if args.limit != LIMIT:
        argv += ["--limit", str(args.limit)]
    if args.limiter_seconds != 60.0:
        argv += ["--limiter-seconds", str(args.limiter_seconds)]
    return {
        "command": "python -m bench.load.run " + " ".join(argv),
        "machine": {
            "cpu_count": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
        },
        "users": args.users,
        "seconds": seconds,
        "requests": requests,
        "limiter": {
            "limit_per_minute": args.limit,
            "seconds": args.limiter_seconds,
            "allowed": allowed,
            "refused": refused,
            "other": other,
            "accuracy": allowed / args.limit,
        },
    }


def _ms(value: str) -> float:
    return float(value) if value not in ("", "N/A") else 0.0


def render(results: dict[str, Any]) -> str:
    limiter = results["limiter"]
    lines = [
        "# Load: mixed workload (Locust)",
        "",
        f"Command: `{results['command']}` ({results['seconds']} s, {results['users']} users, "
        "each with its own tenant and API key; inline embedding with the local model; "
        "embedded PostgreSQL).",
        "",
        f"Machine: {results['machine']['cpu_count']} CPUs, {results['machine']['platform']}, "
        f"Python {results['machine']['python']}",
        "",
        "| request | count | failures | error rate | req/s | p50 ms | p99 ms | max ms |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for row in results["requests"]:
        lines.append(
            f"| {row['name']} | {row['count']} | {row['failures']} | {row['error_rate']:.2%} "
            f"| {row['requests_per_s']:.1f} | {row['p50_ms']:.0f} | {row['p99_ms']:.0f} "
            f"| {row['max_ms']:.0f} |"
        )
    lines += [
        "",
        "## Rate limiter accuracy under load",
        "",
        f"One extra API key (caller limit {limiter['limit_per_minute']}/minute, moving window) "
        f"sent `GET /v1/auth/me` as fast as 4 threads could for {limiter['seconds']:.0f} s "
        "from a cold window, while the load above ran.",
        "",
        "| expected allowed | allowed | refused (429) | other | accuracy |",
        "|---|---|---|---|---|",
        f"| {limiter['limit_per_minute']} | {limiter['allowed']} | {limiter['refused']} "
        f"| {limiter['other']} | {limiter['accuracy']:.2%} |",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
