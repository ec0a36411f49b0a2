"""Rewrite the README's configuration table from the Settings class (run after adding one)."""

from __future__ import annotations

import re
from pathlib import Path

from memory_mesh.config import ENV_PREFIX, Settings

README = Path(__file__).resolve().parents[1] / "README.md"
START, END = "<!-- settings:start -->", "<!-- settings:end -->"


def table() -> str:
    rows = ["| Variable | Default | Meaning |", "|---|---|---|"]
    for name, field in Settings.model_fields.items():
        if field.default_factory is not None:
            default = "the user's data directory (`~/.local/share/memory-mesh`)"
        elif field.default is None:
            default = "unset"
        elif field.default == "":
            default = "empty"
        else:
            default = f"`{field.default}`"
        rows.append(f"| `{ENV_PREFIX}{name.upper()}` | {default} | {field.description} |")
    return "\n".join(rows)


def main() -> None:
    text = README.read_text()
    block = f"{START}\n{table()}\n{END}"
    text = re.sub(re.escape(START) + ".*?" + re.escape(END), block, text, flags=re.S)
    README.write_text(text)


if __name__ == "__main__":
    main()
