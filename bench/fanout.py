"""Real-time fan-out latency: one message stored over HTTP -> its ``message.created``
event at each of 100 WebSocket subscribers.

Two real `memory-mesh serve` processes share one embedded database and one real Redis:
writes go to server A, the subscribers listen on server B, so every event crosses Redis
pub/sub (the multi-process path). Figures per (message, subscriber) pair:

- ``store_to_deliver``: from just before the POST is sent to the frame's arrival (the
  write itself, commit, publish, Redis, fan-out);
- ``publish_to_deliver``: from the event's server-side ``time`` (set when it is
  published, right after the commit) to arrival — the fan-out alone. Same machine clock.

Run: ``python -m bench.fanout [--subscribers 100] [--messages 30] [--out bench/results]``
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import socket
import subprocess
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import websockets

from bench.server import ServerProcess
from bench.stats import latency_summary

PASSWORD = "a long enough passphrase"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _start_redis() -> tuple[subprocess.Popen[bytes], str]:
    binary = shutil.which("redis-server")
    if binary is None:
        raise SystemExit("redis-server is required (apt-get install redis-server)")
    port = _free_port()
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.05)
    return process, f"redis://127.0.0.1:{port}/0"


async def _subscriber(
    url: str,
    key: str,
    arrivals: dict[str, list[tuple[float, float]]],
    ready: asyncio.Event,
    count: list[int],
    total: int,
) -> None:
    async with websockets.connect(url, additional_headers={"x-api-key": key}) as ws:
        json.loads(await ws.recv())  # ready
        count[0] += 1
        if count[0] == total:
            ready.set()
        async for raw in ws:
            now = time.time()
            frame = json.loads(raw)
            if frame.get("type") == "message.created":
                published = datetime.fromisoformat(frame["time"]).timestamp()
                arrivals.setdefault(frame["message"]["id"], []).append((now, published))


async def measure(subscribers: int, messages: int) -> dict[str, Any]:
    redis, redis_url = _start_redis()
    with tempfile.TemporaryDirectory(prefix="mm-fanout-") as tmp:
        env = {
            "MEMORY_REDIS_URL": redis_url,
            "MEMORY_EMBEDDING_MODE": "async",
            "MEMORY_TENANT_RATE_LIMIT": "100000/minute",
            "MEMORY_GLOBAL_RATE_LIMIT": "100000/minute",
        }
        writer, listener = ServerProcess(Path(tmp), **env), ServerProcess(Path(tmp), **env)
        try:
            url_a, url_b = writer.url(), listener.url()
            async with httpx.AsyncClient(base_url=url_a, timeout=60) as http:
                creds = {"email": "fanout@example.com", "password": PASSWORD}
                await http.post("/v1/auth/register", json={**creds, "tenant_id": "fanout"})
                token = (await http.post("/v1/auth/login", json=creds)).json()["access_token"]
                key = (
                    await http.post(
                        "/v1/auth/api-keys",
                        json={"name": "bench"},
                        headers={"authorization": f"Bearer {token}"},
                    )
                ).json()["key"]
                http.headers["x-api-key"] = key
                conv = (await http.post("/v1/conversations", json={})).json()["id"]
                arrivals: dict[str, list[tuple[float, float]]] = {}
                ready, count = asyncio.Event(), [0]
                ws_url = url_b.replace("http://", "ws://") + "/ws/messages/fanout"
                tasks = [
                    asyncio.create_task(
                        _subscriber(ws_url, key, arrivals, ready, count, subscribers)
                    )
                    for _ in range(subscribers)
                ]
                await asyncio.wait_for(ready.wait(), timeout=120)
                sent: dict[str, float] = {}
                for i in range(messages):
                    start = time.time()
                    response = await http.post(
                        "/v1/messages",
                        json={
                            "conversation_id": conv,
                            "role": "user",
                            "content": f"fan-out probe {i}",
                        },
                    )
                    sent[response.json()["id"]] = start
                    await asyncio.sleep(0.05)
                deadline = time.monotonic() + 60
                while time.monotonic() < deadline and any(
                    len(arrivals.get(mid, [])) < subscribers for mid in sent
                ):
                    await asyncio.sleep(0.1)
                for task in tasks:
                    task.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)
        finally:
            writer.stop()
            listener.stop()
            redis.terminate()
            redis.wait(timeout=10)
    store = [now - sent[mid] for mid, pairs in arrivals.items() if mid in sent for now, _ in pairs]
    fanout = [now - pub for mid, pairs in arrivals.items() if mid in sent for now, pub in pairs]
    delivered = sum(len(arrivals.get(mid, [])) for mid in sent)
    return {
        "subscribers": subscribers,
        "messages": messages,
        "expected_deliveries": subscribers * messages,
        "delivered": delivered,
        "store_to_deliver_ms": latency_summary(store),
        "publish_to_deliver_ms": latency_summary(fanout),
    }


def report(result: dict[str, Any], out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / "fanout.json").write_text(json.dumps(result, indent=2) + "\n")
    s, f = result["store_to_deliver_ms"], result["publish_to_deliver_ms"]
    lines = [
        "# Real-time fan-out latency",
        "",
        f"Measured {datetime.now().astimezone().isoformat(timespec='seconds')}: "
        f"{result['messages']} messages stored one at a time over HTTP on server A; "
        f"{result['subscribers']} WebSocket subscribers on server B (two `memory-mesh serve` "
        "processes sharing one embedded PostgreSQL and one Redis, so every event crosses "
        "Redis pub/sub). 2-core machine, client and servers on it together.",
        "",
        f"Delivered {result['delivered']} of {result['expected_deliveries']} expected frames.",
        "",
        "| latency (ms) | p50 | p95 | p99 | max |",
        "|---|---:|---:|---:|---:|",
        f"| store → delivered (POST sent → frame received) | {s['p50']:.1f} | {s['p95']:.1f} "
        f"| {s['p99']:.1f} | {s['max']:.1f} |",
        f"| publish → delivered (event time → frame received) | {f['p50']:.1f} | {f['p95']:.1f} "
        f"| {f['p99']:.1f} | {f['max']:.1f} |",
        "",
        "Reproduce: `python -m bench.fanout --subscribers 100 --messages 30`",
        "",
    ]
    (out / "fanout.md").write_text("\n".join(lines))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--subscribers", type=int, default=100)
    parser.add_argument("--messages", type=int, default=30)
    parser.add_argument("--out", type=Path, default=Path("bench/results"))
    args = parser.parse_args()
    result = asyncio.run(measure(args.subscribers, args.messages))
    report(result, args.out)
    print((args.out / "fanout.md").read_text())


if __name__ == "__main__":
    main()
