"""Cold-start import time of each Lambda function's module.

For every ``functions/<name>/app.py``: import it in N fresh Python processes (what a
Lambda cold start does before the first invocation; no database or network is touched
at import) and report the median wall time, the modules loaded, and whether the local
model's runtime (onnxruntime, tokenizers) or the embedded database (pgserver) came in.

    python -m bench.cold_start [--runs 5] [--functions auth,messages] [--out bench/results]

Writes ``<out>/cold_start.json`` and ``<out>/cold_start.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("onnxruntime", "tokenizers", "pgserver", "uvicorn")

# Optional packages of the development environment that the Lambda layer does not ship
# (layers/core/requirements.txt): a library that imports them when present (redis-py
# loads the OpenTelemetry metrics SDK) must find them missing, as it will in Lambda.
NOT_IN_LAYER = ("opentelemetry.sdk", "opentelemetry.exporter", "opentelemetry.instrumentation")

PROBE = """
import importlib.abc, importlib.util, json, sys, time
HEAVY = sys.argv[2].split(",")
ABSENT = tuple(sys.argv[3].split(","))
class NotInLayer(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.startswith(ABSENT):
            raise ImportError(name + " is not in the Lambda layer")
        return None
sys.meta_path.insert(0, NotInLayer())
start = time.perf_counter()
spec = importlib.util.spec_from_file_location("lambda_app", sys.argv[1])
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
elapsed = time.perf_counter() - start
heavy = sorted(m for m in HEAVY if m in sys.modules)
print(json.dumps({"seconds": elapsed, "modules": len(sys.modules), "heavy": heavy}))
"""

# what the template sets, minus the secrets (reading them is the cold start's network part)
ENV = {
    "MEMORY_ENVIRONMENT": "test",
    "MEMORY_JWT_SECRET_KEY": "bench-" + "k" * 40,
    "MEMORY_EMBEDDING_PROVIDER": "bedrock",
    "MEMORY_EMBEDDING_DIMENSIONS": "1024",
    "MEMORY_EMBEDDING_MODE": "async",
    "MEMORY_AUTO_MIGRATE": "false",
    "MEMORY_DATABASE_URL": "postgresql://bench@127.0.0.1:9/bench",
    "MEMORY_AWS_REGION": "us-east-1",
    "AWS_DEFAULT_REGION": "us-east-1",
    "POWERTOOLS_SERVICE_NAME": "memory-mesh",
    "POWERTOOLS_METRICS_NAMESPACE": "MemoryMesh",
}


def measure(app: Path, runs: int) -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MEMORY_")} | ENV
    samples: list[dict[str, Any]] = []
    for _ in range(runs):
        out = subprocess.run(
            [sys.executable, "-c", PROBE, str(app), ",".join(HEAVY), ",".join(NOT_IN_LAYER)],
            capture_output=True,
            text=True,
            check=True,
            env=env,
            cwd=ROOT,
        )
        samples.append(json.loads(out.stdout.strip().splitlines()[-1]))
    return {
        "median_ms": statistics.median(s["seconds"] for s in samples) * 1000,
        "min_ms": min(s["seconds"] for s in samples) * 1000,
        "modules": samples[-1]["modules"],
        "heavy": samples[-1]["heavy"],
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description="Cold-start import time of each function.")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--functions", help="comma-separated function names (default: all)")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results")
    args = parser.parse_args(argv)
    wanted = set(args.functions.split(",")) if args.functions else None
    functions = []
    for app in sorted((ROOT / "functions").glob("*/app.py")):
        if wanted is None or app.parent.name in wanted:
            result = measure(app, args.runs)
            functions.append({"function": app.parent.name, **result})
            print(app.parent.name, result, flush=True)
    results = {
        "command": f"python -m bench.cold_start --runs {args.runs}",
        "machine": {
            "arch": platform.machine(),
            "cpu_count": os.cpu_count(),
            "python": platform.python_version(),
            "load_average_at_end": [round(x, 2) for x in os.getloadavg()],
        },
        "runs": args.runs,
        "functions": functions,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "cold_start.json").write_text(json.dumps(results, indent=2) + "\n")
    (args.out / "cold_start.md").write_text(render(results))
    print(f"wrote {args.out / 'cold_start.md'}")
    return results


def render(results: dict[str, Any]) -> str:
    runs, machine = results["runs"], results["machine"]
    lines = [
        "# Cold-start import time of each function",
        "",
        f"`{results['command']}`: each `functions/<name>/app.py` "
        f"imported in {runs} fresh processes; median and fastest wall time of the import "
        "(module-level code included: settings, Powertools, the FastAPI app; no database or "
        "network). Provider bedrock, as deployed; packages of the development environment "
        "that the layer does not ship (the OpenTelemetry SDK) are made unimportable, as in "
        "Lambda.",
        "",
        f"Machine: {machine['arch']}, {machine['cpu_count']} cores, Python "
        f"{machine['python']} (Lambda runs 3.12); load average at the end "
        f"{' / '.join(str(x) for x in machine['load_average_at_end'])} (shared machine).",
        "",
        "| function | median ms | fastest ms | modules loaded | local model / embedded DB |",
        "|---|---:|---:|---:|---|",
    ]
    for r in results["functions"]:
        heavy = ", ".join(r["heavy"]) or "none"
        lines.append(
            f"| {r['function']} | {r['median_ms']:.0f} | {r['min_ms']:.0f} | {r['modules']} "
            f"| {heavy} |"
        )
    lines += [
        "",
        "`onnxruntime`, `tokenizers` (the local model), `pgserver` (the embedded PostgreSQL) "
        "and `uvicorn` are not imported by any function; they are not in the layer either "
        "(`layers/core/requirements.txt`, checked by `tests/infra/test_template.py`).",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
