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

    python -m bench.cold_start [--runs 7] [--functions auth,messages] [--build-dir DIR]

Without ``--build-dir`` it runs ``sam build`` into a temporary directory (python3.12 on
PATH, e.g. ``PYENV_VERSION=3.11.7:3.12.1``). Writes ``bench/results/cold_start.{json,md}``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from bench import report

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("onnxruntime", "tokenizers", "pgserver", "uvicorn")
PYTHON = "python3.12"

PROBE = r"""
import json, sys, time
paths, target, heavy = sys.argv[1].split("|"), sys.argv[2], sys.argv[3].split(",")
sys.path[:0] = paths
start = time.perf_counter()
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
elapsed = time.perf_counter() - start
print(json.dumps({"seconds": elapsed, "modules": len(sys.modules),
                  "heavy": sorted(m for m in heavy if m in sys.modules)}))
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
    "MEMORY_DATABASE_URL": "postgresql://bench@127.0.0.1:9/bench",
    "MEMORY_AWS_REGION": "us-east-1",
    "MEMORY_WEBSOCKET_MANAGEMENT_ENDPOINT": "http://127.0.0.1:9/bench",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
    "AWS_LAMBDA_FUNCTION_NAME": "bench",
    "POWERTOOLS_SERVICE_NAME": "memory-mesh",
    "POWERTOOLS_METRICS_NAMESPACE": "MemoryMesh",
    "POWERTOOLS_TRACE_DISABLED": "true",
}


def _run(paths: list[Path], target: str) -> dict[str, Any]:
    env = {
        "PATH": os.environ["PATH"],
        "HOME": os.environ.get("HOME", "/root"),
        "LANG": "C.UTF-8",
        **{k: v for k, v in os.environ.items() if k == "PYENV_VERSION"},
        **ENV,
    }
    out = subprocess.run(
        [PYTHON, "-I", "-S", "-c", PROBE, "|".join(map(str, paths)), target, ",".join(HEAVY)],
        capture_output=True,
        text=True,
        check=True,
        env=env,
        cwd=tempfile.gettempdir(),
    )
    sample: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return sample


def sam_build(build_dir: Path) -> None:
    subprocess.run(
        ["sam", "build", "--build-dir", str(build_dir), "--cache-dir", str(build_dir) + "-cache"],
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
            samples[f].append(_run([code, layer, boto], str(code / "app.py")))
    summary = {name: _summary(s) for name, s in samples.items()}
    floor, floor_min = summary["floor"]["median_ms"], summary["floor"]["min_ms"]
    for s in summary.values():
        s["ratio"] = s["median_ms"] / floor
        # the least-disturbed run of each: the steadier figure on a shared, busy machine
        s["ratio_fastest"] = s["min_ms"] / floor_min
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
    return {
        "median_ms": statistics.median(s["seconds"] for s in samples) * 1000,
        "min_ms": min(s["seconds"] for s in samples) * 1000,
        "modules": samples[-1]["modules"],
        "heavy": samples[-1]["heavy"],
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description="Cold-start import time against the floor.")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--functions", help="comma-separated function names (default: all)")
    parser.add_argument("--build-dir", type=Path, help="a `sam build` output (default: build)")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results")
    args = parser.parse_args(argv)
    all_functions = sorted(p.parent.name for p in (ROOT / "functions").glob("*/app.py"))
    functions = sorted(args.functions.split(",")) if args.functions else all_functions
    with tempfile.TemporaryDirectory(prefix="cold-start-") as tmp:
        build = args.build_dir or Path(tmp) / "build"
        if args.build_dir is None:
            sam_build(build)
        summary = measure(build, boto3_dir(Path(tmp) / "boto3"), functions, args.runs)
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


def render(results: dict[str, Any]) -> str:
    runs, machine, floor = results["runs"], results["machine"], results["floor"]
    lines = [
        "# Cold-start import time of each function, against its dependency floor",
        "",
        f"`{results['command']}`: each `functions/<name>/app.py` imported in {runs} fresh "
        f"`python3.12 -I -S` processes whose path holds only the function's built code, the "
        "layer as `sam build` makes it from the lock, and boto3 (as Lambda gives them); "
        "module-level code included (settings, Powertools, the FastAPI app), no database or "
        "network. The floor: the same process importing fastapi, mangum, psycopg + pool, "
        "pgvector, pydantic-settings, jwt, redis and boto3 and building Powertools' Logger, "
        "Metrics and Tracer. Runs interleave floor and functions; ratio = median / floor "
        "median, and fastest / floor's fastest (target: 1.15 or less for the HTTP functions).",
        "",
        f"Machine: {machine['arch']}, {machine['cpu_count']} cores, Python "
        f"{machine['python']}; load average at the end "
        f"{' / '.join(str(x) for x in machine['load_average_at_end'])} (shared machine: "
        "absolute times are inflated, the ratio is the figure).",
        "",
        "| function | median ms | fastest ms | ratio (medians) | ratio (fastest) | modules "
        "| local model / embedded DB |",
        "|---|---:|---:|---:|---:|---:|---|",
        f"| *floor* | {floor['median_ms']:.0f} | {floor['min_ms']:.0f} | 1.00 | 1.00 | "
        f"{floor['modules']} | |",
    ]
    for r in results["functions"]:
        heavy = ", ".join(r["heavy"]) or "none"
        lines.append(
            f"| {r['function']} | {r['median_ms']:.0f} | {r['min_ms']:.0f} | {r['ratio']:.2f} "
            f"| {r['ratio_fastest']:.2f} | {r['modules']} | {heavy} |"
        )
    lines += [
        "",
        "`onnxruntime`, `tokenizers` (the local model), `pgserver` (the embedded PostgreSQL) "
        "and `uvicorn` are not imported by any function; they are not in the layer either.",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
