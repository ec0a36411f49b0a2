"""Run the Locust mixed workload headless against a fresh local server and write
bench/results/load.md: error rate, throughput, p50/p99 per request type, and the rate
limiter's accuracy measured under that load.

    python -m bench.load.run --users 20 --minutes 3

Rate-limiter accuracy: every caller (API key) has MEMORY_GLOBAL_RATE_LIMIT (here
LIMIT/minute). While Locust runs, one extra key sends requests as fast as it can for one
minute from a cold window; a moving window must allow exactly LIMIT of them.
"""

from __future__ import annotations

import argparse
import csv
import os
import platform
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from bench.server import ServerProcess

ROOT = Path(__file__).resolve().parents[2]
LIMIT = 600  # per caller per minute
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--minutes", type=float, default=3.0)
    parser.add_argument("--out", type=Path, default=ROOT / "bench/results/load.md")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="memory-mesh-load-"))
    server = ServerProcess(
        work / "data",
        MEMORY_ENVIRONMENT="test",
        MEMORY_JWT_SECRET_KEY="load-test-secret-" + "k" * 40,
        MEMORY_GLOBAL_RATE_LIMIT=f"{LIMIT}/minute",
        MEMORY_TENANT_RATE_LIMIT="1000000/minute",
    )
    try:
        url = server.url()
        accounts = [account(url) for _ in range(args.users)]
        _, limited_key = account(url)
        env = {"MEMORY_LOAD_ACCOUNTS": ",".join(f"{t}:{k}" for t, k in accounts)}
        seconds = int(args.minutes * 60)
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
        allowed, refused, other = hammer(url, limited_key, 60.0)
        locust.wait()
        rows = list(csv.DictReader((work / "load_stats.csv").open()))
        write_report(args, rows, allowed, refused, other, seconds)
        print(args.out.read_text())
    finally:
        server.stop()


def write_report(
    args: argparse.Namespace,
    rows: list[dict[str, str]],
    allowed: int,
    refused: int,
    other: int,
    seconds: int,
) -> None:
    lines = [
        "# Load: mixed workload (Locust)",
        "",
        f"Command: `python -m bench.load.run --users {args.users} --minutes {args.minutes}` "
        f"({seconds} s, {args.users} users, each with its own tenant and API key; "
        "inline embedding with the local model; embedded PostgreSQL).",
        "",
        f"Machine: {os.cpu_count()} CPUs, {platform.platform()}, "
        f"Python {platform.python_version()}",
        "",
        "| request | count | failures | error rate | req/s | p50 ms | p99 ms | max ms |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        count, failures = int(row["Request Count"]), int(row["Failure Count"])
        rate = failures / count if count else 0.0
        lines.append(
            f"| {row['Name']} | {count} | {failures} | {rate:.2%} | {float(row['Requests/s']):.1f} "
            f"| {row['50%']} | {row['99%']} | {float(row['Max Response Time']):.0f} |"
        )
    lines += [
        "",
        "## Rate limiter accuracy under load",
        "",
        f"One extra API key (caller limit {LIMIT}/minute, moving window) sent `GET /v1/auth/me` "
        "as fast as 4 threads could for 60 s from a cold window, while the load above ran.",
        "",
        "| expected allowed | allowed | refused (429) | other | accuracy |",
        "|---|---|---|---|---|",
        f"| {LIMIT} | {allowed} | {refused} | {other} | {allowed / LIMIT:.2%} |",
        "",
    ]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(lines))


if __name__ == "__main__":
    main()
