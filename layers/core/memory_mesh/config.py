"""The one settings object: environment variables with the ``MEMORY_`` prefix.

Built once at start (``Settings()`` or :func:`load_settings`) and passed down; nothing
else in the package reads ``os.environ``. :func:`load_settings` also reads a ``.env`` file
in the working directory (real environment variables win) and accepts the seed README's
names and spellings (see :data:`SEED_ALIASES`). A bad value raises :class:`ConfigError`
naming the variable, so the process stops with a message an operator can act on.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Literal

import platformdirs
from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

ENV_PREFIX = "MEMORY_"

EmbeddingProviderName = Literal["local", "gemini", "bedrock", "deterministic"]
EmbeddingMode = Literal["inline", "async"]
Environment = Literal["development", "test", "production"]


# Variables read that are not Settings fields (the cloud's secret ARNs, the create-user
# password, the scripts', tests', benchmarks' and examples' own): never warned about.
OTHER_VARIABLES = frozenset(
    {
        "MEMORY_DATABASE_SECRET_ARN",
        "MEMORY_DATABASE_LOGIN_SECRET_ARN",
        "MEMORY_JWT_SECRET_KEY_SECRET_ARN",
        "MEMORY_GEMINI_API_KEY_SECRET_ARN",
        "MEMORY_NEW_USER_PASSWORD",
        "MEMORY_MESH_VENV",
        "MEMORY_MESH_BIN",
        "MEMORY_MESH_KEY",
        "MEMORY_FUZZ_EXAMPLES",
        "MEMORY_LOAD_ACCOUNTS",
    }
)
# The seed README's database URL schemes (SQLAlchemy driver suffixes) mean plain PostgreSQL
_DRIVER_SUFFIXES = ("+asyncpg", "+psycopg", "+psycopg2", "+psycopg3", "+pg8000")
_PROVIDER_ALIASES = {"google_gemini": "gemini", "google": "gemini"}


class ConfigError(RuntimeError):
    """A configuration value is missing or invalid; the message names the variable."""


_PLACEHOLDER_SECRETS = {
    "changeme",
    "change-me",
    "secret",
    "your-secret-key",
    "your-secret-key-here",
    "please-change-me-to-a-long-random-secret",
    "x" * 32,
}


def _default_data_dir() -> Path:
    return Path(platformdirs.user_data_dir("memory-mesh"))


class Settings(BaseSettings):
    """Every setting of the service. Field ``foo_bar`` is variable ``MEMORY_FOO_BAR``."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, extra="ignore", frozen=True, validate_default=True
    )

    # --- process -----------------------------------------------------------------
    environment: Environment = Field("development", description="development, test or production.")
    host: str = Field("127.0.0.1", description="Address `memory-mesh serve` binds.")
    port: int = Field(8000, ge=0, le=65535, description="Port `memory-mesh serve` binds.")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        "INFO", description="Log level."
    )

    # --- storage -----------------------------------------------------------------
    database_url: str | None = Field(
        None,
        description="PostgreSQL (with pgvector) URL. Unset: start the embedded PostgreSQL.",
    )
    data_dir: Path = Field(
        default_factory=_default_data_dir,
        description="Where the embedded PostgreSQL keeps its data (kept across restarts).",
    )
    auto_migrate: bool = Field(
        True, description="Apply pending migrations at start (the cloud migrates at deploy)."
    )
    db_pool_min_size: int = Field(1, ge=0, le=100, description="Connections kept open.")
    db_pool_max_size: int = Field(10, ge=1, le=500, description="Most connections open.")
    db_statement_timeout_ms: int = Field(
        30_000, ge=100, description="Longest a single SQL statement may run."
    )

    # --- embeddings --------------------------------------------------------------
    embedding_provider: EmbeddingProviderName = Field(
        "local", description="local (ONNX MiniLM), gemini, bedrock, or deterministic (tests)."
    )
    embedding_dimensions: int = Field(
        384, ge=8, le=4096, description="Vector size; must match the provider's model."
    )
    embedding_mode: EmbeddingMode = Field(
        "inline",
        description="inline: embed before answering a write; async: answer at once, "
        "a background worker embeds in batches.",
    )
    embedding_batch_size: int = Field(32, ge=1, le=256, description="Texts per embed call.")
    message_context_chars: int = Field(
        300,
        ge=0,
        le=2000,
        description="Characters (the end) of the conversation's previous message stored with "
        "each new message as its context, which keyword search indexes at half weight "
        "(0: none). `memory-mesh recontext` applies a change to stored messages.",
    )
    embedding_context: bool = Field(
        False,
        description="Embed each message's stored context before its content too (off: with "
        "the local model it lowered recall, bench/results/quality.md). `memory-mesh reembed` "
        "applies a change to stored messages.",
    )
    embedding_timeout_seconds: float = Field(
        30.0, gt=0, description="Timeout of one call to a remote embedding provider."
    )
    embedding_max_retries: int = Field(
        3, ge=0, le=10, description="Retries (with backoff) of one remote embed call."
    )
    embedding_max_attempts: int = Field(
        5, ge=1, le=100, description="Attempts per message before it is marked failed."
    )
    embedding_retry_base_seconds: float = Field(
        2.0, ge=0, description="First retry delay of a failed embedding; doubles per attempt."
    )
    embedding_circuit_failure_threshold: int = Field(
        5, ge=1, description="Consecutive provider failures that open the circuit."
    )
    embedding_circuit_reset_seconds: float = Field(
        30.0, gt=0, description="How long an open circuit rejects calls before a trial."
    )
    embedding_worker_poll_seconds: float = Field(
        2.0, gt=0, description="How often the worker looks for pending embeddings."
    )
    embedding_query_cache_size: int = Field(
        1024, ge=0, description="Query embeddings kept in memory (LRU)."
    )
    embedding_query_batch_max: int = Field(
        32,
        ge=1,
        le=256,
        description="Search queries embedded in one model call when requests arrive "
        "together (local model; 1: each alone).",
    )
    embedding_query_batch_window_ms: float = Field(
        0.0,
        ge=0,
        le=50,
        description="How long a query batch waits for companions before the model runs "
        "(0: batches form only while the model is busy).",
    )
    local_model_path: Path | None = Field(
        None, description="Another ONNX sentence model for the local provider."
    )
    local_tokenizer_path: Path | None = Field(
        None, description="tokenizer.json for MEMORY_LOCAL_MODEL_PATH."
    )
    gemini_api_key: SecretStr | None = Field(None, description="API key for gemini.")
    gemini_model: str = Field("gemini-embedding-001", description="Gemini embedding model.")
    bedrock_model_id: str = Field(
        "amazon.titan-embed-text-v2:0", description="Bedrock embedding model id."
    )
    aws_region: str | None = Field(None, description="AWS region for Bedrock / SQS.")

    # --- importance (see domain/importance.py) -----------------------------------
    importance_weight_user: float = Field(0.6, ge=0, le=1, description="Base of user turns.")
    importance_weight_assistant: float = Field(
        0.4, ge=0, le=1, description="Base of assistant turns."
    )
    importance_weight_system: float = Field(0.8, ge=0, le=1, description="Base of system turns.")
    importance_weight_tool: float = Field(0.3, ge=0, le=1, description="Base of tool turns.")
    importance_content_weight: float = Field(
        0.3, ge=0, le=1, description="Share of content signals (facts, length) in importance."
    )

    # --- ranking (see domain/ranking.py) -----------------------------------------
    ranking_relevance_weight: float = Field(
        0.75, ge=0, description="Weight of semantic/keyword relevance in the final score."
    )
    ranking_importance_weight: float = Field(
        0.15, ge=0, description="Weight of importance in the final score."
    )
    ranking_recency_weight: float = Field(
        0.10, ge=0, description="Weight of recency in the final score."
    )
    ranking_recency_half_life_days: float = Field(
        30.0, gt=0, description="Age at which the recency part halves."
    )
    ranking_hybrid_keyword_share: float = Field(
        0.6,
        ge=0,
        le=1,
        description="Weight of the keyword score (BM25 over the query's best possible) in "
        "hybrid relevance; similarity has 1 minus it.",
    )

    # --- search plan -------------------------------------------------------------
    search_exact_max_rows: int = Field(
        5_000,
        ge=0,
        description="A tenant scope up to this many rows is searched exactly, a larger one "
        "via HNSW; a conversation scope exactly up to sqrt(this x rows in the table).",
    )
    search_hnsw_ef_search: int = Field(
        200, ge=1, le=1000, description="hnsw.ef_search for large scopes (recall vs latency)."
    )
    search_candidate_multiplier: int = Field(
        4, ge=1, le=50, description="Candidates fetched per requested result before re-ranking."
    )

    # --- input limits ------------------------------------------------------------
    max_content_chars: int = Field(32_000, ge=1, description="Longest message content.")
    max_batch_size: int = Field(1_000, ge=1, description="Most items in one batch request.")
    max_top_k: int = Field(100, ge=1, description="Largest top_k a search may ask.")
    max_metadata_bytes: int = Field(16_384, ge=2, description="Largest metadata JSON.")
    max_page_size: int = Field(200, ge=1, description="Largest page of a listing.")
    max_request_bytes: int = Field(
        16 * 1024 * 1024, ge=1024, description="Largest HTTP request body, in bytes."
    )

    # --- cloud (SAM) ---------------------------------------------------------------
    # Set by template.yaml in AWS; locally only to try the cloud path (moto, LocalStack).
    sqs_queue_url: str | None = Field(
        None, description="SQS queue for embedding jobs. Unset: the in-process worker."
    )
    sqs_endpoint_url: str | None = Field(
        None, description="Another SQS endpoint (moto, LocalStack); unset in AWS."
    )
    events_queue_url: str | None = Field(
        None,
        description="SQS queue of live events for WebSocket clients (AWS: the pusher "
        "function delivers them). Unset: events go through Redis pub/sub or this process.",
    )
    tokens: bool = Field(
        True,
        description="This process signs and verifies access tokens; false (AWS functions "
        "that never do: embedding, sweeper, retention, migrate) needs no signing key.",
    )
    sqs_ids_per_message: int = Field(
        32, ge=1, le=1000, description="Message ids carried by one SQS job message."
    )
    redis_url: str | None = Field(
        None,
        description="Redis/Valkey URL (rediss:// in AWS) for rate limits, real-time and "
        "WebSocket connection ids; unset: in-memory (one process only).",
    )
    redis_cluster: bool = Field(
        False,
        description="MEMORY_REDIS_URL is a cluster-mode Redis (ElastiCache Serverless, Redis "
        "Cluster): the cluster client is used and no transaction spans hash slots; the URL "
        "must not name a database other than 0.",
    )
    redis_timeout_seconds: float = Field(
        0.5,
        gt=0,
        le=30,
        description="Bound on connecting to Redis and on each Redis call; a Redis that "
        "accepts connections but never answers is treated as down after this long.",
    )
    websocket_connection_ttl_seconds: int = Field(
        7_200, ge=60, description="How long a WebSocket connection id is kept (API GW max: 2 h)."
    )

    # --- identity, rate limits, CORS ----------------------------------------------
    jwt_secret_key: SecretStr | None = Field(
        None,
        description="HS256 signing key, 32+ characters; required outside development "
        "(development keeps a generated one in MEMORY_DATA_DIR).",
    )
    jwt_access_ttl_seconds: int = Field(
        900, ge=30, description="Access token lifetime, in seconds."
    )
    jwt_refresh_ttl_days: int = Field(30, ge=1, description="Refresh token lifetime, in days.")
    access_token_expire_minutes: int | None = Field(
        None,
        ge=1,
        description="The seed's name for the access token lifetime, in minutes: sets "
        "MEMORY_JWT_ACCESS_TTL_SECONDS (both set and different: refused at start).",
    )
    refresh_token_expire_days: int | None = Field(
        None,
        ge=1,
        description="The seed's name for MEMORY_JWT_REFRESH_TTL_DAYS (both set and "
        "different: refused at start).",
    )
    auth_cache_seconds: float = Field(
        5.0,
        ge=0,
        le=300,
        description="How long who a token or API key is stays cached; a key revoked by "
        "another process still works this long (0: read every request).",
    )
    password_min_length: int = Field(12, ge=8, le=128, description="Shortest password.")
    tenant_open_claim: bool = Field(
        True,
        description="A signed-in user naming a tenant id that does not exist yet becomes its "
        "admin on first use; false: 403 (tenants are then made with POST /v1/auth/tenants "
        "or at registration). API keys never claim.",
    )
    login_rate_limit: str = Field(
        "5/15minutes", description="Failed logins allowed per account before 429."
    )
    global_rate_limit: str = Field(
        "200/minute", description="Requests per caller (key, user or IP) across the API."
    )
    tenant_rate_limit: str = Field("120/minute", description="Requests per tenant.")
    allowed_origins: str = Field(
        "", description="Comma-separated CORS origins; '*' is refused in production."
    )

    # --- real-time (WebSockets) ----------------------------------------------------
    realtime_buffer_size: int = Field(
        256, ge=1, le=100_000, description="Events buffered per subscriber; a full one is dropped."
    )
    realtime_heartbeat_seconds: float = Field(
        20.0, gt=0, description="Idle time after which a subscriber gets a ping frame."
    )
    websocket_management_endpoint: str | None = Field(
        None, description="API Gateway management URL for pushing to WebSocket connections (AWS)."
    )

    # --- lifecycle: retention, analytics, export -----------------------------------
    # The default retention policy (every tenant, after its own rules; see
    # domain/retention.py): archive messages older than MAX_AGE_DAYS whose importance is
    # below IMPORTANCE_THRESHOLD; delete them DELETE_ARCHIVED_AFTER_DAYS after archiving.
    retention_max_age_days: float = Field(
        0,
        ge=0,
        le=36_500,
        description="Default policy: archive messages older than this many days whose "
        "importance is below MEMORY_RETENTION_IMPORTANCE_THRESHOLD; 0 turns the default "
        "policy off (tenant rules still run).",
    )
    retention_importance_threshold: float = Field(
        0.5,
        ge=0,
        le=1,
        description="Default policy: only messages with importance strictly below this "
        "are archived (0 archives nothing; messages of importance 1 are never archived).",
    )
    retention_delete_archived_after_days: float = Field(
        0,
        ge=0,
        le=36_500,
        description="Default policy: delete archived messages that meet the default "
        "policy (old, unimportant) once archived this many days; 0 never deletes.",
    )
    retention_schedule_seconds: float = Field(
        3_600,
        ge=0,
        description="How often `memory-mesh serve` applies retention to every tenant "
        "(in-process); 0 turns the local schedule off. The cloud uses its own schedule.",
    )
    retention_batch_size: int = Field(
        1_000,
        ge=1,
        le=10_000,
        description="Rows a retention statement archives or deletes at most (each batch "
        "is its own short transaction).",
    )
    analytics_max_span_days: int = Field(
        366, ge=1, le=3_660, description="Longest date range an analytics request may ask."
    )

    # --- observability: metrics, logs, tracing, versioning -------------------------
    log_format: Literal["json", "text"] | None = Field(
        None,
        description="json (one object per line) or text; unset: text in development, "
        "json otherwise.",
    )
    metrics_backend: Literal["prometheus", "emf", "none"] = Field(
        "prometheus",
        description="prometheus: GET /metrics on the local server; emf: CloudWatch EMF "
        "lines on stdout (Lambda); none: off.",
    )
    metrics_namespace: str = Field(
        "MemoryMesh", min_length=1, description="CloudWatch namespace of the EMF metrics."
    )
    metrics_token: SecretStr | None = Field(
        None,
        description="When set, GET /metrics needs this value as a bearer token "
        "('Authorization: Bearer ...'), for a server reachable beyond localhost.",
    )
    otlp_endpoint: str | None = Field(
        None,
        pattern=r"^https?://",
        description="OpenTelemetry collector (OTLP/HTTP), e.g. http://localhost:4318; "
        "traces go to its /v1/traces. Unset: no tracing, OpenTelemetry not loaded.",
    )
    trace_service_name: str = Field(
        "memory-mesh", min_length=1, description="service.name of the traces."
    )
    trace_sample_ratio: float = Field(
        1.0,
        ge=0,
        le=1,
        description="Share of requests traced (a caller's sampled trace is always continued).",
    )
    readiness_redis_required: bool = Field(
        True,
        description="With MEMORY_REDIS_URL set, readiness answers 503 while Redis is down; "
        "false: reported but not failing (rate limits fall back to per-process counts).",
    )

    # --- dashboard -----------------------------------------------------------------
    dashboard_dir: Path | None = Field(
        None,
        description="Built web dashboard (static export) that `memory-mesh serve` serves at `/`. "
        "Unset: the copy inside the installed package (every wheel has one), else the "
        "repository's `frontend/out` once built (`bash scripts/build-dashboard.sh`).",
    )

    # --- MCP (Model Context Protocol) ------------------------------------------------
    mcp_enabled: bool = Field(
        True,
        description="`memory-mesh serve` answers MCP (streamable HTTP) at `/mcp`, "
        "authenticated like the API.",
    )
    mcp_server_url: str = Field(
        "http://127.0.0.1:8000",
        pattern=r"^https?://",
        description="The Memory Mesh API that `memory-mesh mcp` (stdio) sends its tool calls to.",
    )
    mcp_api_key: SecretStr | None = Field(
        None,
        description="The API key `memory-mesh mcp` (stdio) acts with: its tenant and scopes "
        "(a read-only key cannot remember or forget).",
    )

    # --- reliability -----------------------------------------------------------------
    idempotency_ttl_hours: float = Field(
        24.0,
        gt=0,
        le=24 * 30,
        description="How long the answer to a request with an `Idempotency-Key` is kept.",
    )
    idempotency_lock_seconds: float = Field(
        60.0,
        gt=0,
        le=3600,
        description="How long a running keyed request holds its key; after that (its process "
        "presumed dead) a retry takes it over.",
    )
    db_pool_timeout_seconds: float = Field(
        5.0,
        gt=0,
        le=300,
        description="Longest a request waits for a database connection before answering "
        "503 `datastore_unavailable` (also bounds the wait while the database is down).",
    )

    @field_validator("dashboard_dir", mode="before")
    @classmethod
    def _dashboard_built(cls, value: object) -> object:
        if value is None or value == "":
            return None
        if not (Path(str(value)) / "index.html").is_file():
            raise ValueError(f"{value} holds no index.html (bash scripts/build-dashboard.sh)")
        return value

    @field_validator("jwt_secret_key", mode="before")
    @classmethod
    def _empty_key_is_unset(cls, value: object) -> object:
        # the template declares it empty so `sam local --env-vars` can set it
        return None if value == "" else value

    @field_validator("database_url")
    @classmethod
    def _database_url_scheme(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        scheme, sep, rest = value.partition("://")
        for suffix in _DRIVER_SUFFIXES:  # postgresql+asyncpg:// (seed) -> postgresql://
            scheme = scheme.removesuffix(suffix)
        if not sep or scheme not in ("postgresql", "postgres"):
            raise ValueError(
                "must start with postgresql:// or postgres:// (a driver suffix such as "
                "+asyncpg or +psycopg is accepted and dropped)"
            )
        return f"postgresql://{rest}"

    @field_validator("embedding_provider", mode="before")
    @classmethod
    def _provider_alias(cls, value: object) -> object:
        if isinstance(value, str):
            return _PROVIDER_ALIASES.get(value.strip().lower(), value.strip().lower())
        return value

    @model_validator(mode="before")
    @classmethod
    def _seed_token_lifetimes(cls, data: Any) -> Any:
        """The seed's token lifetime names set the project's; both set must agree."""
        if not isinstance(data, dict):
            return data
        pairs = (
            ("access_token_expire_minutes", "jwt_access_ttl_seconds", 60),
            ("refresh_token_expire_days", "jwt_refresh_ttl_days", 1),
        )
        for seed, own, factor in pairs:
            raw = data.get(seed)
            if raw is None or raw == "":
                continue
            try:
                value = int(raw) * factor
            except (TypeError, ValueError):
                continue  # the field's own validation names the variable
            current = data.get(own)
            if current not in (None, "") and str(current).strip() != str(value):
                raise ValueError(
                    f"{ENV_PREFIX}{seed.upper()} and {ENV_PREFIX}{own.upper()} are both set "
                    "and disagree; set one of them"
                )
            data = {**data, own: value}
        return data

    @field_validator("login_rate_limit", "global_rate_limit", "tenant_rate_limit")
    @classmethod
    def _rate_limit(cls, value: str) -> str:
        from limits import parse

        try:
            parse(value)
        except ValueError:
            raise ValueError("must look like 200/minute or 5/15minutes") from None
        return value

    @property
    def cors_origins(self) -> list[str]:
        return [o.strip() for o in self.allowed_origins.split(",") if o.strip()]

    @model_validator(mode="after")
    def _consistent(self) -> Settings:
        if self.db_pool_min_size > self.db_pool_max_size:
            raise ValueError("MEMORY_DB_POOL_MIN_SIZE must not exceed MEMORY_DB_POOL_MAX_SIZE")
        if self.embedding_provider == "gemini" and self.gemini_api_key is None:
            raise ValueError("MEMORY_GEMINI_API_KEY is required when the provider is gemini")
        if (
            self.embedding_provider == "local"
            and self.local_model_path is None
            and self.embedding_dimensions != 384
        ):
            raise ValueError("MEMORY_EMBEDDING_DIMENSIONS must be 384 for the built-in local model")
        if self.embedding_provider == "bedrock" and self.embedding_dimensions not in (
            256,
            512,
            1024,
        ):
            raise ValueError("MEMORY_EMBEDDING_DIMENSIONS must be 256, 512 or 1024 for bedrock")
        if self.environment != "development":
            # development may use a short key or the generated one; nothing else may
            key = self.jwt_secret_key.get_secret_value() if self.jwt_secret_key else None
            weak = key is not None and (len(key) < 32 or key.lower() in _PLACEHOLDER_SECRETS)
            needed = self.tokens and self.environment == "production"
            if weak or (key is None and needed):
                raise ValueError(
                    "MEMORY_JWT_SECRET_KEY must be a random secret of 32+ characters "
                    f"(not a placeholder) when MEMORY_ENVIRONMENT is {self.environment}"
                )
        if self.redis_cluster and self.redis_url and _redis_database(self.redis_url) != 0:
            raise ValueError(
                "MEMORY_REDIS_URL must name database 0 (or none) when MEMORY_REDIS_CLUSTER is "
                "true: a cluster has no other databases"
            )
        if self.environment == "production" and "*" in self.cors_origins:
            raise ValueError("MEMORY_ALLOWED_ORIGINS must not be '*' in production")
        weights = (
            self.ranking_relevance_weight
            + self.ranking_importance_weight
            + self.ranking_recency_weight
        )
        if weights <= 0:
            raise ValueError("the MEMORY_RANKING_*_WEIGHT values must not all be zero")
        return self


def known_variables() -> frozenset[str]:
    """Every ``MEMORY_*`` name the package understands."""
    fields = {f"{ENV_PREFIX}{name.upper()}" for name in Settings.model_fields}
    return frozenset(fields | OTHER_VARIABLES)


# settings an earlier release read, with what replaced them (a deployment that still sets
# one is told what to do instead of only "not a setting")
RETIRED_VARIABLES = {
    f"{ENV_PREFIX}RANKING_RRF_K": (
        "hybrid search no longer fuses ranks: its relevance is the weighted sum of similarity "
        f"and BM25; set {ENV_PREFIX}RANKING_HYBRID_KEYWORD_SHARE instead"
    ),
}


def unknown_variable_warnings(names: Iterable[str]) -> list[str]:
    """One warning per ``MEMORY_*`` name that nothing reads, naming the closest known one
    (a typo must not be silently ignored) or what replaced a retired one."""
    known = known_variables()
    warnings = []
    for name in sorted(set(names)):
        if not name.startswith(ENV_PREFIX) or name in known:
            continue
        if name in RETIRED_VARIABLES:
            warnings.append(f"{name} is no longer used and is ignored: {RETIRED_VARIABLES[name]}")
            continue
        import difflib  # only for a name nothing reads (every cold start paid for it)

        close = difflib.get_close_matches(name, sorted(known), n=1, cutoff=0.6)
        hint = f"; did you mean {close[0]}?" if close else ""
        warnings.append(f"{name} is not a Memory Mesh setting and is ignored{hint}")
    return warnings


def unused_setting_warnings(settings: Settings) -> list[str]:
    """Values that are set but have no effect with the rest of the configuration (the
    seed README sets a Gemini key; the default provider is local)."""
    warnings = []
    if settings.gemini_api_key is not None and settings.embedding_provider != "gemini":
        warnings.append(
            f"{ENV_PREFIX}GEMINI_API_KEY is set but {ENV_PREFIX}EMBEDDING_PROVIDER is "
            f"{settings.embedding_provider}: the key is not used (set the provider to gemini "
            "or google_gemini to use it)"
        )
    return warnings


def dotenv_values(path: Path) -> dict[str, str]:
    """The ``MEMORY_*`` assignments of a ``.env`` file (empty if there is none)."""
    if not path.is_file():
        return {}
    from dotenv import dotenv_values as parse  # a dependency of pydantic-settings

    return {k: v for k, v in parse(path).items() if k.startswith(ENV_PREFIX) and v is not None}


DOTENV = Path(".env")  # relative: the working directory of the process


def environment_warnings(
    env_file: Path | None = DOTENV, environ: Mapping[str, str] | None = None
) -> list[str]:
    """The warnings :func:`unknown_variable_warnings` gives for the process environment
    and the ``.env`` file, to log once logging is set up."""
    names = set(os.environ if environ is None else environ)
    if env_file is not None:
        names |= set(dotenv_values(env_file))
    return unknown_variable_warnings(names)


def _redis_database(url: str) -> int:
    """The database number a redis:// URL names (its path, or ``?db=``), 0 if none."""
    from urllib.parse import parse_qs, urlsplit

    parts = urlsplit(url)
    named = parts.path.strip("/") or parse_qs(parts.query).get("db", ["0"])[0]
    try:
        return int(named)
    except ValueError:
        return -1


def load_settings(**overrides: object) -> Settings:
    """Read the environment, then ``.env`` in the working directory (a variable set in the
    environment wins over the file), plus ``overrides``, into :class:`Settings`.

    Raises :class:`ConfigError` whose message names each offending ``MEMORY_*`` variable.
    """
    try:
        source = DOTENV if DOTENV.is_file() else None
        return Settings(_env_file=source, **overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            loc = [str(part) for part in error["loc"]]
            message = error["msg"].removeprefix("Value error, ")
            if loc:
                problems.append(f"{ENV_PREFIX}{loc[0].upper()}: {message}")
            else:
                problems.append(message)
        raise ConfigError("invalid configuration: " + "; ".join(problems)) from None
