"""Cold-start import time of each Lambda function, against its dependency floor.

For every ``functions/<name>/app.py``: import it in N fresh ``python3.12`` processes
whose import path holds only what Lambda gives it (the function's code, the layer as
``sam build`` makes it from the lock, and boto3), as the layer test does, and report the
median wall time, the modules loaded, and whether the local model's runtime
(onnxruntime, tokenizers) or the embedded database (pgserver) came in.

The **floor** is the same kind of process importing only the dependencies every HTTP
function needs (fastapi, mangum, psycopg + pool, pgvector, pydantic-settings, jwt,
redis, boto3) and building Powertools' Logger, Metrics and Tracer: what no change to
this code base could remove. Runs are interleaved (floor, each function, floor, ...)
so a busy machine weighs on both alike; the ratio function / floor is the figure.

Lambda's cold start is init **and** the first invocation, so each HTTP function is then
invoked, in the same process, with its sample event from ``tests/events/`` (the one the
layer test uses): that second figure shows work moved from import to the first request
(runtime, clients, Mangum, the route's first call). The database refuses connections
and the pool gives up after 50 ms (the answer is 503 ``datastore_unavailable``), so it
covers everything before the first SQL statement, not what a real database would add.

    python -m bench.cold_start [--runs 7] [--functions auth,messages] [--build-dir DIR]
                               [--boto3-dir DIR]

Without ``--build-dir`` it runs ``sam build`` into a temporary directory (python3.12 on
PATH, e.g. ``PYENV_VERSION=3.11.7:3.12.1``). Writes ``bench/results/cold_start.{json,md}``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from bench import report

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("onnxruntime", "tokenizers", "pgserver", "uvicorn")
PYTHON = "python3.12"
EVENTS = ROOT / "tests" / "events"
# each HTTP function's sample event (as in tests/infra/test_layer_as_aws_sees_it.py)
HTTP_EVENTS = {
    "admin": "http_admin_health.json",
    "analytics": "http_analytics_usage.json",
    "auth": "http_auth_login.json",
    "conversations": "http_conversations_list.json",
    "memory": "http_memory_search.json",
    "messages": "http_messages_post.json",
    "transfer": "http_export.json",
}

PROBE = r"""
import contextlib, io, json, sys, time
paths, target, heavy = sys.argv[1].split("|"), sys.argv[2], sys.argv[3].split(",")
event_path = sys.argv[4] if len(sys.argv) > 4 else ""
sys.path[:0] = paths
start, start_cpu = time.perf_counter(), time.process_time()
if target == "floor":
    import fastapi, mangum, psycopg, psycopg_pool, pgvector.psycopg, pydantic_settings
    import jwt, redis, boto3
    from aws_lambda_powertools import Logger, Metrics, Tracer
    Logger(); Tracer(); Metrics(namespace="MemoryMesh")
else:
    import importlib.util
    spec = importlib.util.spec_from_file_location("app", target)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
elapsed, elapsed_cpu = time.perf_counter() - start, time.process_time() - start_cpu
out = {"seconds": elapsed, "cpu_seconds": elapsed_cpu, "modules": len(sys.modules)}
if event_path:
    class Context:
        function_name = "bench"
        function_version = "$LATEST"
        memory_limit_in_mb = 1024
        invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:bench"
        aws_request_id = "c6af9ac6-7b61-11e6-9a41-93e812345678"
        log_group_name = "/aws/lambda/bench"
        log_stream_name = "bench"

        def get_remaining_time_in_millis(self):
            return 30000

    with open(event_path) as f:
        event = json.load(f)
    with contextlib.redirect_stdout(io.StringIO()):  # Powertools' log lines
        result = module.lambda_handler(event, Context())
    out["invoke_seconds"] = time.perf_counter() - start - elapsed
    out["invoke_cpu_seconds"] = time.process_time() - start_cpu - elapsed_cpu
    out["status"] = result.get("statusCode")
    out["modules_after_invoke"] = len(sys.modules)
out["heavy"] = sorted(m for m in heavy if m in sys.modules)
print(json.dumps(out))
"""

# what the template sets, minus the secrets (reading them is the cold start's network
# part); X-Ray off as in the layer test (no daemon here; the SDK is still imported)
ENV = {
    "MEMORY_ENVIRONMENT": "test",
    "MEMORY_JWT_SECRET_KEY": "bench-" + "k" * 40,
    "MEMORY_EMBEDDING_PROVIDER": "bedrock",
    "MEMORY_EMBEDDING_DIMENSIONS": "1024",
    "MEMORY_EMBEDDING_MODE": "async",
    "MEMORY_AUTO_MIGRATE": "false",
    "MEMORY_METRICS_BACKEND": "emf",
    "MEMORY_LOG_LEVEL": "INFO",
    "MEMORY_DB_POOL_MIN_SIZE": "1",
    "MEMORY_DB_POOL_MAX_SIZE": "2",
    # nothing listens on port 9: the first invocation answers 503 after this wait
    "MEMORY_DATABASE_URL": "postgresql://bench@127.0.0.1:9/bench",
    "MEMORY_DB_POOL_TIMEOUT_SECONDS": "0.05",
    "MEMORY_AWS_REGION": "us-east-1",
    "MEMORY_WEBSOCKET_MANAGEMENT_ENDPOINT": "http://127.0.0.1:9/bench",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
    "AWS_LAMBDA_FUNCTION_NAME": "bench",
    "POWERTOOLS_SERVICE_NAME": "memory-mesh",
    "POWERTOOLS_METRICS_NAMESPACE": "MemoryMesh",
    "POWERTOOLS_TRACE_DISABLED": "true",
}


def _run(paths: list[Path], target: str, event: Path | None = None) -> dict[str, Any]:
    env = {
        "PATH": os.environ["PATH"],
        "HOME": os.environ.get("HOME", "/root"),
        "LANG": "C.UTF-8",
        **{k: v for k, v in os.environ.items() if k == "PYENV_VERSION"},
        **ENV,
    }
    out = subprocess.run(
        [
            PYTHON,
            "-I",
            "-S",
            "-c",
            PROBE,
            "|".join(map(str, paths)),
            target,
            ",".join(HEAVY),
            str(event or ""),
        ],
        capture_output=True,
        text=True,
        check=True,
        env=env,
        cwd=tempfile.gettempdir(),
    )
    sample: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return sample


def sam_build(build_dir: Path) -> None:
    sam = ["sam"] if shutil.which("sam") else [sys.executable, "-m", "samcli"]  # a venv not on PATH
    subprocess.run(
        [*sam, "build", "--build-dir", str(build_dir), "--cache-dir", str(build_dir) + "-cache"],
        check=True,
        cwd=ROOT,
        env={**os.environ, "SAM_CLI_TELEMETRY": "0"},
    )


def boto3_dir(target: Path) -> Path:
    """boto3 as the python3.12 runtime provides it, at the locked version (not in the layer)."""
    if not (target / "boto3").is_dir():
        pins = [
            line.split(" ")[0]
            for line in (ROOT / "requirements" / "test.txt").read_text().splitlines()
            if line.split("==")[0] in {"boto3", "botocore", "s3transfer", "jmespath"}
        ]
        subprocess.run(
            [PYTHON, "-m", "pip", "install", "--quiet", "--target", str(target), *pins],
            check=True,
        )
    return target


def measure(build: Path, boto: Path, functions: list[str], runs: int) -> dict[str, Any]:
    layer = build / "CoreLayer" / "python"
    names = {f: _logical_id(build, f) for f in functions}
    samples: dict[str, list[dict[str, Any]]] = {"floor": [], **{f: [] for f in functions}}
    for _ in range(runs):
        samples["floor"].append(_run([layer, boto], "floor"))
        for f in functions:
            code = build / names[f]
            event = EVENTS / HTTP_EVENTS[f] if f in HTTP_EVENTS else None
            samples[f].append(_run([code, layer, boto], str(code / "app.py"), event))
    summary = {name: _summary(s) for name, s in samples.items()}
    floor, floor_min = summary["floor"]["median_ms"], summary["floor"]["min_ms"]
    floor_cpu = summary["floor"]["cpu_median_ms"]
    for s in summary.values():
        s["ratio"] = s["median_ms"] / floor
        # the least-disturbed run of each: the steadier figure on a shared, busy machine
        s["ratio_fastest"] = s["min_ms"] / floor_min
        # CPU time is not inflated by waiting for a core: the figure on a loaded machine
        s["cpu_ratio"] = s["cpu_median_ms"] / floor_cpu
        if "init_invoke_median_ms" in s:
            s["init_invoke_ratio"] = s["init_invoke_median_ms"] / floor
            s["init_invoke_cpu_ratio"] = s["init_invoke_cpu_median_ms"] / floor_cpu
    return summary


def _logical_id(build: Path, function: str) -> str:
    """The build folder of ``functions/<function>`` (sam names it by logical id)."""
    wanted = (ROOT / "functions" / function / "app.py").read_text()
    for folder in build.iterdir():
        app = folder / "app.py"
        if app.is_file() and app.read_text() == wanted:
            return folder.name
    raise SystemExit(f"no built function for functions/{function} in {build}")


def _summary(samples: list[dict[str, Any]]) -> dict[str, Any]:
    summary = {
        "median_ms": statistics.median(s["seconds"] for s in samples) * 1000,
        "min_ms": min(s["seconds"] for s in samples) * 1000,
        "cpu_median_ms": statistics.median(s["cpu_seconds"] for s in samples) * 1000,
        "modules": samples[-1]["modules"],
        "heavy": samples[-1]["heavy"],
    }
    if "invoke_seconds" in samples[-1]:
        summary |= {
            "first_invoke_median_ms": statistics.median(s["invoke_seconds"] for s in samples)
            * 1000,
            "init_invoke_median_ms": statistics.median(
                s["seconds"] + s["invoke_seconds"] for s in samples
            )
            * 1000,
            "init_invoke_cpu_median_ms": statistics.median(
                s["cpu_seconds"] + s["invoke_cpu_seconds"] for s in samples
            )
            * 1000,
            "status": samples[-1]["status"],
            "modules_after_invoke": samples[-1]["modules_after_invoke"],
        }
    return summary


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description="Cold-start import time against the floor.")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--functions", help="comma-separated function names (default: all)")
    parser.add_argument("--build-dir", type=Path, help="a `sam build` output (default: build)")
    parser.add_argument(
        "--boto3-dir", type=Path, help="boto3 installed for python3.12 (default: install it)"
    )
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results")
    args = parser.parse_args(argv)
    all_functions = sorted(p.parent.name for p in (ROOT / "functions").glob("*/app.py"))
    functions = sorted(args.functions.split(",")) if args.functions else all_functions
    with tempfile.TemporaryDirectory(prefix="cold-start-") as tmp:
        build = args.build_dir or Path(tmp) / "build"
        if args.build_dir is None:
            sam_build(build)
        boto = args.boto3_dir or boto3_dir(Path(tmp) / "boto3")
        summary = measure(build, boto, functions, args.runs)
    version = subprocess.run(
        [PYTHON, "-c", "import platform; print(platform.python_version())"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    results = {
        "command": f"python -m bench.cold_start --runs {args.runs}",
        "machine": {
            "arch": platform.machine(),
            "cpu_count": os.cpu_count(),
            "python": version,
            "load_average_at_end": [round(x, 2) for x in os.getloadavg()],
        },
        "runs": args.runs,
        "floor": summary.pop("floor"),
        "functions": [{"function": f, **summary[f]} for f in functions],
    }
    report.write_json_and_markdown(results, args.out, "cold_start", render)
    print(render(results))
    return results


NOTES = ROOT / "bench" / "results" / "cold_start_notes.md"


def render(results: dict[str, Any]) -> str:
    runs, machine, floor = results["runs"], results["machine"], results["floor"]
    lines = [
        "# Cold-start time of each function, against its dependency floor",
        "",
        f"`{results['command']}`: each `functions/<name>/app.py` imported in {runs} fresh "
        f"`python3.12 -I -S` processes whose path holds only the function's built code, the "
        "layer as `sam build` makes it from the lock, and boto3 (as Lambda gives them); "
        "module-level code included (settings, Powertools, the FastAPI app), no database or "
        "network. The floor: the same process importing fastapi, mangum, psycopg + pool, "
        "pgvector, pydantic-settings, jwt, redis and boto3 and building Powertools' Logger, "
        "Metrics and Tracer. Runs interleave floor and functions; ratio = median / floor "
        "median, and fastest / floor's fastest (target: 1.15 or less for the HTTP functions). "
        "CPU: the process's CPU time over the same span (`time.process_time`), which waiting "
        "for a core on a shared machine does not inflate; on a busy machine it is the figure.",
        "",
        "**Init + first invoke** (HTTP functions): the same process then handles its sample "
        "event from `tests/events/` — Lambda's cold start is both. The database refuses and "
        "the pool gives up after 50 ms (answer 503), so this counts everything up to the "
        "first SQL statement (runtime, AWS clients, Mangum, routing, authentication's "
        "first step), not a real database's round trips; its ratios are to the floor's import.",
        "",
        f"Machine: {machine['arch']}, {machine['cpu_count']} cores, Python "
        f"{machine['python']}; load average at the end "
        f"{' / '.join(str(x) for x in machine['load_average_at_end'])} (shared machine: "
        "absolute times are inflated, the ratio is the figure).",
        "",
        "| function | import median ms | fastest ms | ratio (medians) | ratio (fastest) "
        "| CPU ms | **CPU ratio** | modules | init + first invoke ms | its ratio | its CPU ms "
        "| its CPU ratio | status |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        f"| *floor* | {floor['median_ms']:.0f} | {floor['min_ms']:.0f} | 1.00 | 1.00 | "
        f"{floor['cpu_median_ms']:.0f} | 1.00 | {floor['modules']} | | | | | |",
    ]
    for r in results["functions"]:
        invoke = (
            f"{r['init_invoke_median_ms']:.0f} | {r['init_invoke_ratio']:.2f} "
            f"| {r['init_invoke_cpu_median_ms']:.0f} | {r['init_invoke_cpu_ratio']:.2f} "
            f"| {r['status']}"
            if "init_invoke_median_ms" in r
            else " | | | | "
        )
        lines.append(
            f"| {r['function']} | {r['median_ms']:.0f} | {r['min_ms']:.0f} | {r['ratio']:.2f} "
            f"| {r['ratio_fastest']:.2f} | {r['cpu_median_ms']:.0f} | **{r['cpu_ratio']:.2f}** "
            f"| {r['modules']} | {invoke} |"
        )
    heavy = sorted({m for r in results["functions"] for m in r["heavy"]})
    lines += [
        "",
        "`onnxruntime`, `tokenizers` (the local model), `pgserver` (the embedded PostgreSQL) "
        "and `uvicorn`: "
        + (f"imported by some function: {', '.join(heavy)}." if heavy else "imported by none.")
        + " They are not in the layer either.",
        "",
    ]
    text = "\n".join(lines)
    if NOTES.is_file():  # the hand-written analysis (profile, what changed) stays with it
        text += "\n" + NOTES.read_text()
    return text


if __name__ == "__main__":
    main()
