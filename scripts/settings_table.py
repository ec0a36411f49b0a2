"""Rewrite the README's configuration table and `.env.example` from the Settings class
(run after adding or changing one: `python scripts/settings_table.py`)."""

from __future__ import annotations

import re
from pathlib import Path

from pydantic.fields import FieldInfo

from memory_mesh.config import ENV_PREFIX, Settings

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
ENV_EXAMPLE = ROOT / ".env.example"
START, END = "<!-- settings:start -->", "<!-- settings:end -->"


def _default(field: FieldInfo) -> str:
    if field.default_factory is not None:
        return "the user's data directory (`~/.local/share/memory-mesh`)"
    if field.default is None:
        return "unset"
    if field.default == "":
        return "empty"
    return f"`{field.default}`"


def table() -> str:
    rows = ["| Variable | Default | Meaning |", "|---|---|---|"]
    for name, field in Settings.model_fields.items():
        rows.append(f"| `{ENV_PREFIX}{name.upper()}` | {_default(field)} | {field.description} |")
    return "\n".join(rows)


def env_example() -> str:
    """Every variable, commented out at its default, with its meaning above it."""
    lines = [
        "# Memory Mesh configuration. Copy to .env in the directory you start the server",
        "# from (variables set in the environment win over the file). Every line is",
        "# commented out at its default; uncomment what you change.",
        "# Generated from the settings by scripts/settings_table.py: do not edit by hand.",
    ]
    for name, field in Settings.model_fields.items():
        if field.default_factory is not None or field.default is None:
            value = ""
        else:
            value = str(field.default)
        lines += ["", f"# {field.description}", f"# {ENV_PREFIX}{name.upper()}={value}"]
    return "\n".join(lines) + "\n"


def main() -> None:
    text = README.read_text()
    block = f"{START}\n{table()}\n{END}"
    text = re.sub(re.escape(START) + ".*?" + re.escape(END), block, text, flags=re.S)
    README.write_text(text)
    ENV_EXAMPLE.write_text(env_example())


if __name__ == "__main__":
    main()
