"""Cold-start import time of each Lambda function's module.

For every ``functions/<name>/app.py``: import it in N fresh Python processes (what a
Lambda cold start does before the first invocation; no database or network is touched
at import) and report the median wall time, the modules loaded, and whether the local
model's runtime (onnxruntime, tokenizers) or the embedded database (pgserver) came in.

    python bench/cold_start.py [--runs 5] [--out bench/results/cold_start.md]
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

PROBE = """
import importlib.util, json, sys, time
HEAVY = sys.argv[2].split(",")
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
            [sys.executable, "-c", PROBE, str(app), ",".join(HEAVY)],
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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "cold_start.md")
    args = parser.parse_args()
    rows = []
    for app in sorted((ROOT / "functions").glob("*/app.py")):
        result = measure(app, args.runs)
        rows.append((app.parent.name, result))
        print(app.parent.name, result, flush=True)
    lines = [
        "# Cold-start import time of each function",
        "",
        f"`python bench/cold_start.py --runs {args.runs}`: each `functions/<name>/app.py` "
        f"imported in {args.runs} fresh processes; median and fastest wall time of the import "
        "(module-level code included: settings, Powertools, the FastAPI app; no database or "
        "network). Provider bedrock, as deployed.",
        "",
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()} (Lambda runs 3.12).",
        "",
        "| function | median ms | fastest ms | modules loaded | local model / embedded DB |",
        "|---|---:|---:|---:|---|",
    ]
    for name, r in rows:
        heavy = ", ".join(r["heavy"]) or "none"
        lines.append(
            f"| {name} | {r['median_ms']:.0f} | {r['min_ms']:.0f} | {r['modules']} | {heavy} |"
        )
    lines += [
        "",
        "`onnxruntime`, `tokenizers` (the local model), `pgserver` (the embedded PostgreSQL) "
        "and `uvicorn` are not imported by any function; they are not in the layer either "
        "(`layers/core/requirements.txt`, checked by `tests/infra/test_template.py`).",
        "",
    ]
    args.out.write_text("\n".join(lines))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
