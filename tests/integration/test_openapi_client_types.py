"""The TypeScript client's generated types never drift from the server: the committed
OpenAPI document is the one the app produces, and the committed types are what the
generator makes of it. To refresh both after an API change:

    .venv/bin/python scripts/openapi.py && (cd clients/typescript && npm run generate)
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from scripts.openapi import render
from tests.typescript import CLIENT_DIR, ROOT, installed_client, run

REFRESH = "run: .venv/bin/python scripts/openapi.py && (cd clients/typescript && npm run generate)"


def test_the_committed_openapi_document_is_the_one_the_server_produces() -> None:
    committed = (CLIENT_DIR / "openapi.json").read_text()
    assert committed == render(), f"clients/typescript/openapi.json is stale; {REFRESH}"


def test_the_committed_typescript_types_are_generated_from_the_servers_document(
    tmp_path: Path,
) -> None:
    client = installed_client()
    document = tmp_path / "openapi.json"
    document.write_text(render())
    generated = tmp_path / "schema.d.ts"
    run("node", "scripts/generate.mjs", str(document), str(generated), cwd=client)
    committed = (client / "src" / "schema.d.ts").read_text()
    assert generated.read_text() == committed, f"clients/typescript/src/schema.d.ts: {REFRESH}"


def test_the_client_sends_idempotency_keys_to_exactly_the_routes_that_honour_them() -> None:
    document = json.loads(render())
    honouring = {
        path
        for path, operations in document["paths"].items()
        for method, operation in operations.items()
        if method == "post"
        and any(p["name"].lower() == "idempotency-key" for p in operation.get("parameters", []))
    }
    source = (CLIENT_DIR / "src" / "transport.ts").read_text()
    listed = re.search(r"IDEMPOTENT_POSTS: readonly string\[\] = \[(.*?)\];", source, re.S)
    assert listed is not None
    assert set(re.findall(r'"([^"]+)"', listed[1])) == honouring


def test_the_typescript_examples_in_the_docs_type_check(tmp_path: Path) -> None:
    client = installed_client()
    examples = []
    for document in ("README.md", "INTEGRATION.md"):
        text = (ROOT / document).read_text()
        examples += [b for b in re.findall(r"```ts\n(.*?)```", text, re.S) if "MemoryMesh" in b]
    assert len(examples) >= 2
    for number, example in enumerate(examples):
        (tmp_path / f"example{number}.ts").write_text("export {};\n" + example)
    config = {
        "extends": str(client / "tsconfig.json"),
        "compilerOptions": {
            "noEmit": True,
            "rootDir": "/",
            "typeRoots": [str(client / "node_modules" / "@types")],
            "paths": {"@memory-mesh/client": [str(client / "src" / "index.ts")]},
        },
        "include": [str(tmp_path / "*.ts")],
    }
    (tmp_path / "tsconfig.json").write_text(json.dumps(config))
    (tmp_path / "package.json").write_text('{"type": "module"}')  # top-level await
    run("npx", "--no-install", "tsc", "-p", str(tmp_path / "tsconfig.json"), cwd=client)
