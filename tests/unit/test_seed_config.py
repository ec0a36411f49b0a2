"""The seed README's configuration, accepted as written: one test per value it shows, a
`.env` file in the working directory, and a warning for a MEMORY_* name nothing reads."""

from __future__ import annotations

from pathlib import Path

import pytest

from memory_mesh.config import (
    ConfigError,
    environment_warnings,
    load_settings,
    unused_setting_warnings,
)


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No MEMORY_* variable from outside, and a working directory of the test's own."""
    import os

    for key in list(os.environ):
        if key.startswith("MEMORY_"):
            monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize("driver", ["asyncpg", "psycopg", "psycopg2"])
def test_a_sqlalchemy_driver_suffix_in_the_database_url_is_dropped(
    monkeypatch: pytest.MonkeyPatch, driver: str
) -> None:
    monkeypatch.setenv(
        "MEMORY_DATABASE_URL", f"postgresql+{driver}://user:pass@localhost/memory_layer"
    )
    assert load_settings().database_url == "postgresql://user:pass@localhost/memory_layer"


def test_another_database_is_still_refused_by_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MEMORY_DATABASE_URL", "sqlite+aiosqlite:///memory.db")
    with pytest.raises(ConfigError, match="MEMORY_DATABASE_URL: must start with postgresql://"):
        load_settings()


def test_google_gemini_is_the_gemini_provider(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MEMORY_EMBEDDING_PROVIDER", "google_gemini")
    monkeypatch.setenv("MEMORY_GEMINI_API_KEY", "your-key-here")
    monkeypatch.setenv("MEMORY_EMBEDDING_DIMENSIONS", "768")
    settings = load_settings()
    assert settings.embedding_provider == "gemini"
    assert settings.embedding_dimensions == 768
    assert settings.gemini_api_key is not None
    assert settings.gemini_api_key.get_secret_value() == "your-key-here"


def test_google_gemini_without_its_key_names_the_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MEMORY_EMBEDDING_PROVIDER", "google_gemini")
    with pytest.raises(ConfigError, match="MEMORY_GEMINI_API_KEY is required"):
        load_settings()


def test_768_dimensions_with_the_local_model_is_a_clear_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MEMORY_EMBEDDING_DIMENSIONS", "768")
    with pytest.raises(ConfigError, match="MEMORY_EMBEDDING_DIMENSIONS must be 384"):
        load_settings()


def test_access_token_expire_minutes_sets_the_access_lifetime(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MEMORY_ACCESS_TOKEN_EXPIRE_MINUTES", "30")
    assert load_settings().jwt_access_ttl_seconds == 30 * 60


def test_refresh_token_expire_days_sets_the_refresh_lifetime(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MEMORY_REFRESH_TOKEN_EXPIRE_DAYS", "7")
    assert load_settings().jwt_refresh_ttl_days == 7


def test_a_seed_lifetime_and_the_projects_may_agree_but_not_disagree(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MEMORY_ACCESS_TOKEN_EXPIRE_MINUTES", "30")
    monkeypatch.setenv("MEMORY_JWT_ACCESS_TTL_SECONDS", "1800")
    assert load_settings().jwt_access_ttl_seconds == 1800
    monkeypatch.setenv("MEMORY_JWT_ACCESS_TTL_SECONDS", "900")
    with pytest.raises(ConfigError, match="MEMORY_ACCESS_TOKEN_EXPIRE_MINUTES and"):
        load_settings()
    monkeypatch.setenv("MEMORY_ACCESS_TOKEN_EXPIRE_MINUTES", "soon")
    with pytest.raises(ConfigError, match="MEMORY_ACCESS_TOKEN_EXPIRE_MINUTES"):
        load_settings()


@pytest.mark.parametrize(
    ("variable", "value", "field", "expected"),
    [
        ("MEMORY_GLOBAL_RATE_LIMIT", "200/minute", "global_rate_limit", "200/minute"),
        ("MEMORY_TENANT_RATE_LIMIT", "120/minute", "tenant_rate_limit", "120/minute"),
        ("MEMORY_RETENTION_MAX_AGE_DAYS", "30", "retention_max_age_days", 30.0),
        (
            "MEMORY_RETENTION_IMPORTANCE_THRESHOLD",
            "0.35",
            "retention_importance_threshold",
            0.35,
        ),
        ("MEMORY_RETENTION_SCHEDULE_SECONDS", "86400", "retention_schedule_seconds", 86400.0),
        ("MEMORY_REDIS_URL", "redis://localhost:6379/0", "redis_url", "redis://localhost:6379/0"),
    ],
)
def test_the_seeds_other_values_are_read_as_written(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, field: str, expected: object
) -> None:
    monkeypatch.setenv(variable, value)
    assert getattr(load_settings(), field) == expected


def test_the_seeds_allowed_origins_become_the_cors_list(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MEMORY_ALLOWED_ORIGINS", "http://localhost:3000,https://yourdomain.com")
    assert load_settings().cors_origins == ["http://localhost:3000", "https://yourdomain.com"]


def test_the_seeds_placeholder_jwt_key_works_in_development_only(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MEMORY_JWT_SECRET_KEY", "your-secure-random-key-here")
    key = load_settings().jwt_secret_key
    assert key is not None and key.get_secret_value() == "your-secure-random-key-here"
    monkeypatch.setenv("MEMORY_ENVIRONMENT", "production")
    with pytest.raises(ConfigError, match="MEMORY_JWT_SECRET_KEY must be a random secret"):
        load_settings()


def test_a_dotenv_file_in_the_working_directory_is_read_and_the_environment_wins(
    monkeypatch: pytest.MonkeyPatch, clean_environment: Path
) -> None:
    (clean_environment / ".env").write_text(
        "MEMORY_MAX_TOP_K=7\nMEMORY_ACCESS_TOKEN_EXPIRE_MINUTES=30\nMEMORY_MAX_PAGE_SIZE=50\n"
    )
    monkeypatch.setenv("MEMORY_MAX_PAGE_SIZE", "60")
    settings = load_settings()
    assert settings.max_top_k == 7
    assert settings.jwt_access_ttl_seconds == 1800
    assert settings.max_page_size == 60


def test_an_unknown_memory_variable_warns_naming_the_closest_known_one(
    clean_environment: Path,
) -> None:
    (clean_environment / ".env").write_text("MEMORY_ACESS_TOKEN_EXPIRE_MINUTES=30\n")
    warnings = environment_warnings(
        environ={"MEMORY_JWT_SECRET": "x", "MEMORY_EMBEDDING_PROVIDER": "local", "PATH": "/bin"}
    )
    assert warnings == [
        "MEMORY_ACESS_TOKEN_EXPIRE_MINUTES is not a Memory Mesh setting and is ignored; "
        "did you mean MEMORY_ACCESS_TOKEN_EXPIRE_MINUTES?",
        "MEMORY_JWT_SECRET is not a Memory Mesh setting and is ignored; "
        "did you mean MEMORY_JWT_SECRET_KEY?",
    ]
    assert environment_warnings(environ={"MEMORY_DATABASE_SECRET_ARN": "arn"}, env_file=None) == []


def test_a_gemini_key_with_the_local_provider_is_reported_as_unused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MEMORY_GEMINI_API_KEY", "your-key-here")
    assert unused_setting_warnings(load_settings()) == [
        "MEMORY_GEMINI_API_KEY is set but MEMORY_EMBEDDING_PROVIDER is local: the key is not "
        "used (set the provider to gemini or google_gemini to use it)"
    ]
    monkeypatch.setenv("MEMORY_EMBEDDING_PROVIDER", "google_gemini")
    assert unused_setting_warnings(load_settings()) == []


def test_a_retired_ranking_variable_says_what_replaced_it() -> None:
    warnings = environment_warnings(environ={"MEMORY_RANKING_RRF_K": "10"}, env_file=None)
    assert len(warnings) == 1
    assert warnings[0].startswith("MEMORY_RANKING_RRF_K is no longer used and is ignored")
    assert "MEMORY_RANKING_HYBRID_KEYWORD_SHARE" in warnings[0]
