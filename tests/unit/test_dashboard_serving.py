"""Where `memory-mesh serve` finds the dashboard, and the page at / when none is built."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from memory_mesh.config import Settings
from memory_mesh.http import static


@pytest.fixture
def no_build(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(static, "PACKAGED_EXPORT", tmp_path / "packaged")
    monkeypatch.setattr(static, "REPO_EXPORT", tmp_path / "repo-out")


def _settings(tmp_path: Path, **values: object) -> Settings:
    return Settings(data_dir=tmp_path / "data", **values)  # type: ignore[arg-type]


def _export(directory: Path, marker: str) -> Path:
    directory.mkdir(parents=True)
    (directory / "index.html").write_text(f"<html>{marker}</html>")
    return directory


async def _get(app: FastAPI, path: str) -> httpx.Response:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        return await http.get(path)


@pytest.mark.usefixtures("no_build")
async def test_without_a_built_dashboard_the_root_says_exactly_what_to_run(tmp_path: Path) -> None:
    app = FastAPI()
    static.mount_dashboard(app, _settings(tmp_path))
    page = await _get(app, "/")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "bash scripts/build-dashboard.sh" in page.text
    missing = await _get(app, "/conversations/")
    assert missing.status_code == 404 and "build-dashboard" not in missing.text


@pytest.mark.usefixtures("no_build")
async def test_a_lambda_app_answers_404_at_the_root_not_the_build_page(tmp_path: Path) -> None:
    app = FastAPI()
    static.mount_dashboard(app, _settings(tmp_path), explain_missing=False)
    assert (await _get(app, "/")).status_code == 404


async def test_the_packaged_dashboard_wins_over_the_checkouts_build(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(static, "PACKAGED_EXPORT", _export(tmp_path / "packaged", "packaged"))
    monkeypatch.setattr(static, "REPO_EXPORT", _export(tmp_path / "repo-out", "checkout"))
    assert static.dashboard_dir(_settings(tmp_path)) == tmp_path / "packaged"
    chosen = _export(tmp_path / "chosen", "chosen")
    assert static.dashboard_dir(_settings(tmp_path, dashboard_dir=chosen)) == chosen
    app = FastAPI()
    static.mount_dashboard(app, _settings(tmp_path))
    assert "packaged" in (await _get(app, "/")).text


@pytest.mark.usefixtures("no_build")
async def test_an_editable_install_serves_the_checkouts_build_once_made(tmp_path: Path) -> None:
    _export(tmp_path / "repo-out", "checkout")
    app = FastAPI()
    static.mount_dashboard(app, _settings(tmp_path))
    assert "checkout" in (await _get(app, "/")).text
