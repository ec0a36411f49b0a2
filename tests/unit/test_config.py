import pytest

from memory_mesh.config import ConfigError, load_settings


def test_defaults_are_the_embedded_local_setup(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in list(__import__("os").environ):
        if key.startswith("MEMORY_"):
            monkeypatch.delenv(key)
    settings = load_settings()
    assert settings.database_url is None
    assert settings.embedding_provider == "local"
    assert settings.embedding_dimensions == 384
    assert settings.embedding_mode == "inline"


def test_environment_variables_are_read_with_the_prefix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MEMORY_EMBEDDING_MODE", "async")
    monkeypatch.setenv("MEMORY_MAX_TOP_K", "7")
    settings = load_settings()
    assert settings.embedding_mode == "async"
    assert settings.max_top_k == 7


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("MEMORY_EMBEDDING_MODE", "sometimes"),
        ("MEMORY_EMBEDDING_PROVIDER", "openai"),
        ("MEMORY_EMBEDDING_DIMENSIONS", "abc"),
        ("MEMORY_PORT", "70000"),
        ("MEMORY_DATABASE_URL", "mysql://localhost/x"),
        ("MEMORY_RANKING_RELEVANCE_WEIGHT", "-1"),
    ],
)
def test_a_bad_value_names_its_variable(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigError, match=variable):
        load_settings()


def test_cross_field_rules_name_the_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MEMORY_EMBEDDING_PROVIDER", "gemini")
    monkeypatch.delenv("MEMORY_GEMINI_API_KEY", raising=False)
    with pytest.raises(ConfigError, match="MEMORY_GEMINI_API_KEY"):
        load_settings()
    monkeypatch.setenv("MEMORY_EMBEDDING_PROVIDER", "local")
    monkeypatch.setenv("MEMORY_EMBEDDING_DIMENSIONS", "768")
    with pytest.raises(ConfigError, match="MEMORY_EMBEDDING_DIMENSIONS"):
        load_settings()


def test_a_cluster_mode_redis_url_must_name_database_zero(monkeypatch: pytest.MonkeyPatch) -> None:
    # a cluster has only database 0 (SELECT is refused): say so at start, not per request
    monkeypatch.setenv("MEMORY_REDIS_CLUSTER", "true")
    monkeypatch.setenv("MEMORY_REDIS_URL", "rediss://cache.example:6379/2")
    with pytest.raises(ConfigError, match="MEMORY_REDIS_URL must name database 0"):
        load_settings()
    for fine in ("rediss://cache.example:6379/0", "rediss://cache.example:6379"):
        monkeypatch.setenv("MEMORY_REDIS_URL", fine)
        assert load_settings().redis_cluster is True
