"""Documentation is part of the feature: every setting is in the README's table."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

from memory_mesh.config import ENV_PREFIX, Settings

ROOT = Path(__file__).resolve().parents[2]


def test_every_setting_is_documented_in_the_readme() -> None:
    readme = (ROOT / "README.md").read_text()
    missing = [
        f"{ENV_PREFIX}{name.upper()}"
        for name in Settings.model_fields
        if f"`{ENV_PREFIX}{name.upper()}`" not in readme
    ]
    assert missing == []


def test_the_readme_names_the_test_command_that_ci_runs() -> None:
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    assert "bash scripts/test.sh" in readme and "bash scripts/test.sh" in ci


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "settings_table", ROOT / "scripts" / "settings_table.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_env_example_is_generated_from_the_settings() -> None:
    """`.env.example` lists every variable at its default; regenerate it with
    `python scripts/settings_table.py` after changing a setting."""
    shipped = (ROOT / ".env.example").read_text()
    assert shipped == _generator().env_example()
    for name in Settings.model_fields:
        assert f"# {ENV_PREFIX}{name.upper()}=" in shipped


def test_the_readme_table_is_the_generated_one() -> None:
    readme = (ROOT / "README.md").read_text()
    assert _generator().table() in readme
