"""Write the server's OpenAPI document, built from the app in-process (no database, no
network), to clients/typescript/openapi.json or the path given: the TypeScript client's
types are generated from it, and a test fails when the committed copy drifts."""

from __future__ import annotations

import argparse
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from memory_mesh.config import ENV_PREFIX, Settings
from memory_mesh.http.app import create_app

DEFAULT_OUT = Path(__file__).resolve().parents[1] / "clients" / "typescript" / "openapi.json"


def document() -> dict[str, Any]:
    """The OpenAPI document of the local server (every /v1 area) on the default settings,
    as /openapi.json serves it."""
    # the defaults, whatever MEMORY_* the shell holds: the committed document is one
    saved = {k: os.environ.pop(k) for k in list(os.environ) if k.startswith(ENV_PREFIX)}
    try:
        # a throwaway data directory: nothing is started, only the routes are read
        with tempfile.TemporaryDirectory() as data_dir:
            return create_app(Settings(data_dir=Path(data_dir))).openapi()  # type: ignore[call-arg]
    finally:
        os.environ.update(saved)


def render() -> str:
    """The document as committed: stable key order, two-space indent, final newline."""
    return json.dumps(document(), indent=2, ensure_ascii=False) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("out", nargs="?", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args()
    args.out.write_text(render())
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
