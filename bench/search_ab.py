"""Search latency over real HTTP, this tree against another commit, side by side.

    python -m bench.search_ab                       # against main, 1,500-turn conversation
    python -m bench.search_ab --baseline 2d3b798 --turns 1500 --rounds 3

Two `memory-mesh serve` processes run at once on the same machine: one from this tree,
one from the baseline commit's ``layers/core`` (``git archive``, run with ``PYTHONPATH``).
Each stores the same conversation (LoCoMo turns, conversations concatenated until
``--turns``; ``--conversations N``: N such conversations in its tenant, the first
searched), then the same questions are sent to both in alternation, one request at a
time, in every mode; each round's p50 is taken per server and the ratio of the two p50s
per round, whose median is reported (the machine is shared: a burst of load hits both).

Both servers embed with the ``deterministic`` provider (``MEMORY_ENVIRONMENT=test``): the
query embedding costs the same in both versions (~8 ms with the local model, measured in
bench/results/search_latency.md), so leaving it out isolates what changed (the statement,
the HTTP layer) and makes the ratio an upper bound. LoCoMo is read where it lies; the
results hold figures only.
"""

from __future__ import annotations

import argparse
import asyncio
import shlex
import subprocess
import sys
import tarfile
import tempfile
import time
from io import BytesIO
from pathlib import Path
from typing import Any

import httpx
import numpy as np

from bench import report
from bench.data import DEFAULT_LOCOMO
from bench.ingest import SERVER_ENV
from bench.machine import load_average
from bench.quality import load_dialogues
from bench.server import ServerProcess

REPO = Path(__file__).resolve().parents[1]
RESULTS_DIR = Path(__file__).resolve().parent / "results"
PASSWORD = "a long enough benchmark passphrase"
MODES = ("hybrid", "keyword", "vector")


def baseline_tree(ref: str, into: Path) -> Path:
    """The baseline commit's ``layers/core`` unpacked under ``into``; its import root."""
    archive = subprocess.run(
        ["git", "-C", str(REPO), "archive", ref, "layers/core"],
        check=True,
        capture_output=True,
    ).stdout
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    return into / "layers/core"


async def _prepare(
    url: str, turns: list[tuple[str, str]], ref: str, conversations: int = 1
) -> tuple[str, str]:
    """Register, make an API key, store ``conversations`` conversations of ``turns``;
    (api key, the first's id: its UUID, or with ``ref`` "external" the client's own id its
    first messages created)."""
    async with httpx.AsyncClient(base_url=url, timeout=600) as http:
        creds = {"email": "ab@bench.example.com", "password": PASSWORD}
        response = await http.post("/v1/auth/register", json={**creds, "tenant_id": "ab"})
        response.raise_for_status()
        token = (await http.post("/v1/auth/login", json=creds)).json()["access_token"]
        key = (
            await http.post(
                "/v1/auth/api-keys",
                json={"name": "bench"},
                headers={"authorization": f"Bearer {token}"},
            )
        ).json()["key"]
        http.headers["x-api-key"] = key
        convs = []
        for number in range(conversations):
            if ref == "external":
                conv = "bench-conversation" + (f"-{number + 1}" if number else "")
            else:
                conv = (await http.post("/v1/conversations", json={})).json()["id"]
            convs.append(conv)
            for start in range(0, len(turns), 250):
                items = [
                    {"conversation_id": conv, "role": "user", "content": text, "created_at": when}
                    for text, when in turns[start : start + 250]
                ]
                body = (await http.post("/v1/messages/batch", json={"items": items})).json()
                if body.get("failed"):
                    raise RuntimeError(f"turns not stored: {body}")
        return key, convs[0]


async def _round(
    clients: dict[str, httpx.AsyncClient], convs: dict[str, str], questions: list[str], mode: str
) -> dict[str, list[float]]:
    times: dict[str, list[float]] = {name: [] for name in clients}
    for i, question in enumerate(questions):
        order = list(clients) if i % 2 == 0 else list(reversed(clients))
        for name in order:
            started = time.perf_counter()
            response = await clients[name].get(
                "/v1/memory/search",
                params={
                    "query": question,
                    "mode": mode,
                    "top_k": 10,
                    "conversation_id": convs[name],
                },
            )
            times[name].append(time.perf_counter() - started)
            response.raise_for_status()
    return times


async def measure(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    dialogues = load_dialogues(args.locomo)
    turns: list[tuple[str, str]] = []
    questions: list[str] = []
    for dialogue in dialogues:
        turns += [(t.content, t.created_at.isoformat()) for t in dialogue.turns]
        questions += [q.text for q in dialogue.questions]
        if len(turns) >= args.turns:
            break
    turns = turns[: args.turns]
    questions = questions[: args.queries]
    root = baseline_tree(args.baseline, work / "baseline")
    env = {
        **SERVER_ENV,
        "MEMORY_EMBEDDING_PROVIDER": "deterministic",
        "MEMORY_ENVIRONMENT": "test",
        "MEMORY_EMBEDDING_MODE": "inline",
    }
    servers = {
        "baseline": ServerProcess(work / "a", PYTHONPATH=str(root), **env),
        "this tree": ServerProcess(work / "b", **env),
    }
    try:
        urls = {name: server.url() for name, server in servers.items()}
        prepared = await asyncio.gather(
            *(
                _prepare(url, turns, args.conversation_ref, args.conversations)
                for url in urls.values()
            )
        )
        keys = {name: p[0] for name, p in zip(urls, prepared, strict=True)}
        convs = {name: p[1] for name, p in zip(urls, prepared, strict=True)}
        clients = {
            name: httpx.AsyncClient(base_url=url, timeout=60, headers={"x-api-key": keys[name]})
            for name, url in urls.items()
        }
        try:
            out: dict[str, Any] = {}
            for mode in MODES:
                await _round(clients, convs, questions[:20], mode)  # warm up both
                rounds = [await _round(clients, convs, questions, mode) for _ in range(args.rounds)]
                p50 = {name: [float(np.median(r[name])) * 1000 for r in rounds] for name in clients}
                ratios = [
                    b / a for a, b in zip(p50["baseline"], p50["this tree"], strict=True) if a
                ]
                out[mode] = {
                    "p50_ms": {name: round(float(np.median(v)), 2) for name, v in p50.items()},
                    "p50_ms_per_round": {n: [round(x, 2) for x in v] for n, v in p50.items()},
                    "ratio_median": round(float(np.median(ratios)), 3),
                    "ratio_per_round": [round(r, 3) for r in ratios],
                }
        finally:
            for client in clients.values():
                await client.aclose()
    finally:
        for server in servers.values():
            server.stop()
    return {
        "command": shlex.join(["python", "-m", "bench.search_ab", *sys.argv[1:]]),
        "baseline": args.baseline,
        "turns": len(turns),
        "queries_per_round": len(questions),
        "rounds": args.rounds,
        "conversation_ref": args.conversation_ref,
        "conversations": args.conversations,
        "embedding": "deterministic (query embedding left out of both)",
        "modes": out,
        "load_average_at_end": load_average(),
    }


# how the searches name the conversation (results from before the option say nothing:
# by UUID)
_NAMED_BY = {"uuid": " (named by its UUID)", "external": " (named by the client's own id)"}


def _among(conversations: int) -> str:
    return f", among {conversations} such in its tenant" if conversations > 1 else ""


def markdown(result: dict[str, Any]) -> str:
    lines = [
        "# Search latency over HTTP: this tree against the baseline, side by side",
        "",
        f"Reproduce: `{result['command']}`. One conversation of {result['turns']} turns in "
        f"each server{_among(result.get('conversations', 1))}; "
        f"{result['queries_per_round']} questions a round, alternating servers, "
        f"one request at a time, top_k 10, scoped to the conversation"
        f"{_NAMED_BY.get(result.get('conversation_ref'), '')}; {result['rounds']} "
        f"rounds. Embedding: {result['embedding']}. Load average at the end "
        f"{result['load_average_at_end']} (shared machine: compare the ratio).",
        "",
        f"| mode | baseline ({result['baseline']}) p50 ms | this tree p50 ms "
        "| ratio (median of rounds) | ratio per round |",
        "|---|---|---|---|---|",
    ]
    for mode, figures in result["modes"].items():
        lines.append(
            f"| {mode} | {figures['p50_ms']['baseline']} | {figures['p50_ms']['this tree']} "
            f"| {figures['ratio_median']} | {figures['ratio_per_round']} |"
        )
    if result.get("notes"):  # prose added to the results file after the run (what it measured)
        lines += ["", result["notes"]]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.search_ab", description=__doc__)
    parser.add_argument("--baseline", default="main", help="commit or branch to compare with")
    parser.add_argument("--turns", type=int, default=1500)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--locomo", type=Path, default=DEFAULT_LOCOMO)
    parser.add_argument(
        "--conversation-ref",
        choices=["uuid", "external"],
        default="uuid",
        help="name the conversation by its UUID or by the client's own id (uuid)",
    )
    parser.add_argument(
        "--conversations",
        type=int,
        default=1,
        help="conversations of those turns in the tenant; the first is searched (1)",
    )
    parser.add_argument("--out", type=Path, default=RESULTS_DIR)
    parser.add_argument("--name", default="search_ab", help="results file name (search_ab)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="mm-search-ab-") as tmp:
        result = asyncio.run(measure(args, Path(tmp)))
    report.write_json_and_markdown(result, args.out, args.name, markdown)
    print(markdown(result))


if __name__ == "__main__":
    main()
