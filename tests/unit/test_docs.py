"""Documentation is part of the feature: every setting is in the README's table."""

from __future__ import annotations

from pathlib import Path

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
