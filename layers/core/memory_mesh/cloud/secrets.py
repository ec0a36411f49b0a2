"""Settings for a Lambda function, with secrets read from AWS Secrets Manager.

The template passes secret ARNs, never secret values: ``MEMORY_DATABASE_SECRET_ARN``
(the credentials the function logs in to Aurora with; ``MEMORY_DATABASE_URL`` is built
from it), ``MEMORY_JWT_SECRET_KEY_SECRET_ARN`` and ``MEMORY_GEMINI_API_KEY_SECRET_ARN``
(secrets whose string is the value). They are read through Powertools Parameters'
``get_secret`` with a ``max_age`` (:data:`SECRET_MAX_AGE_SECONDS`).

The database secret is read again for every new pooled connection
(:class:`SecretCredentials`): after a rotation, a warm container's next connections use
the new password once the cached value expires, or at once when the server refuses the
cached one (store/database.py retries once with the secret read past the cache).

Every function but the migrate function logs in as the application's login role
(``AppDatabaseSecret``); the migrate function logs in as the master user and is also
given ``MEMORY_DATABASE_LOGIN_SECRET_ARN``, the login role it creates or updates
(store/login_role.py).

``MEMORY_DATABASE_HOST`` replaces the secret's host: the template points it at RDS
Proxy when the proxy is on (the credentials stay the secret's).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import anyio.to_thread
import psycopg
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from memory_mesh.config import ENV_PREFIX, ConfigError, Settings, load_settings
from memory_mesh.store.login_role import LoginRole

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.parameters.base import BaseProvider


class SecretRefs(BaseSettings):
    """Where the cloud's secrets live (ARNs); read from ``MEMORY_*`` like every setting."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="ignore", frozen=True)

    database_secret_arn: str | None = Field(
        None, description="Secrets Manager secret {username, password, host, port, dbname}."
    )
    database_login_secret_arn: str | None = Field(
        None,
        description="Secrets Manager secret {username, password} of the application's "
        "login role, which the migration creates or updates (migrate function only).",
    )
    jwt_secret_key_secret_arn: str | None = Field(
        None, description="Secrets Manager secret whose string is MEMORY_JWT_SECRET_KEY."
    )
    gemini_api_key_secret_arn: str | None = Field(
        None, description="Secrets Manager secret whose string is the Gemini API key."
    )
    database_host: str | None = Field(
        None, description="Host to connect to instead of the secret's (RDS Proxy endpoint)."
    )


SECRET_MAX_AGE_SECONDS = 300  # how stale a cached secret may be (Powertools Parameters)


def database_url_from_secret(secret: Mapping[str, Any], *, host: str | None = None) -> str:
    """``postgresql://`` URL (TLS required) from an RDS-style credentials secret;
    ``host`` (RDS Proxy) replaces the secret's host."""
    missing = [k for k in ("username", "password", "host") if not secret.get(k)]
    if missing:
        raise ConfigError(f"MEMORY_DATABASE_SECRET_ARN: the secret lacks {', '.join(missing)}")
    user = quote(str(secret["username"]), safe="")
    password = quote(str(secret["password"]), safe="")
    port = int(secret.get("port") or 5432)
    dbname = quote(str(secret.get("dbname") or "postgres"), safe="")
    server = str(host or secret["host"])
    if server.startswith("/"):  # a Unix socket directory (a local PostgreSQL)
        server = quote(server, safe="")
    return f"postgresql://{user}:{password}@{server}:{port}/{dbname}?sslmode=require"


def _json_secret(raw: str, variable: str) -> dict[str, Any]:
    try:
        value = json.loads(raw)
    except json.JSONDecodeError:
        raise ConfigError(f"{variable}: the secret is not JSON") from None
    if not isinstance(value, dict):
        raise ConfigError(f"{variable}: the secret is not a JSON object")
    return value


def load_cloud_settings(*, secrets_client: Any | None = None, fresh: bool = False) -> Settings:
    """:func:`~memory_mesh.config.load_settings`, plus the values of the referenced secrets.

    A secret's value wins over the same plain variable. Without secret ARNs (tests,
    local runs) this is exactly ``load_settings()`` and makes no AWS call.
    """
    refs = SecretRefs()
    overrides: dict[str, object] = {}
    plain = {
        "jwt_secret_key": (refs.jwt_secret_key_secret_arn, "MEMORY_JWT_SECRET_KEY_SECRET_ARN"),
        "gemini_api_key": (refs.gemini_api_key_secret_arn, "MEMORY_GEMINI_API_KEY_SECRET_ARN"),
    }
    if refs.database_secret_arn or any(arn for arn, _ in plain.values()):
        client = secrets_client or _PowertoolsSecrets(fresh=fresh)
        if refs.database_secret_arn:
            variable = "MEMORY_DATABASE_SECRET_ARN"
            raw = _secret_string(client, refs.database_secret_arn, variable)
            secret = _json_secret(raw, variable)
            overrides["database_url"] = database_url_from_secret(secret, host=refs.database_host)
        for setting, (arn, variable) in plain.items():
            if arn:
                overrides[setting] = _secret_string(client, arn, variable).strip()
    return load_settings(**overrides)


def load_login_role(*, secrets_client: Any | None = None, fresh: bool = False) -> LoginRole | None:
    """The application's login role from ``MEMORY_DATABASE_LOGIN_SECRET_ARN`` (the
    migrate function's), or None when the variable is not set (local runs). ``fresh``:
    past the cache, as a deploy must see a password generated or rotated minutes ago."""
    arn = SecretRefs().database_login_secret_arn
    if not arn:
        return None
    variable = "MEMORY_DATABASE_LOGIN_SECRET_ARN"
    secret = _json_secret(
        _secret_string(secrets_client or _PowertoolsSecrets(fresh=fresh), arn, variable), variable
    )
    return LoginRole(str(secret.get("username") or ""), str(secret.get("password") or ""))


class SecretCredentials:
    """The database login, read from its secret for every new pooled connection
    (:class:`memory_mesh.store.database.Credentials`).

    Reads go through a Powertools provider, cached for ``max_age``: between rotations a
    new connection costs no Secrets Manager call. ``refreshed`` bypasses the cache once,
    when the server refused the cached password (rotated since it was read). A failure
    to read the secret is raised as a connection failure, so the pool retries with
    backoff and requests answer 503 ``datastore_unavailable`` meanwhile.
    """

    def __init__(
        self,
        secret_arn: str,
        *,
        host: str | None = None,
        provider: BaseProvider | None = None,
        max_age: int = SECRET_MAX_AGE_SECONDS,
    ) -> None:
        self.secret_arn = secret_arn
        self.host = host
        self.max_age = max_age
        self._provider = provider

    async def conninfo(self) -> str:
        return await anyio.to_thread.run_sync(self._read, False)

    async def refreshed(self) -> str:
        return await anyio.to_thread.run_sync(self._read, True)

    def _read(self, force: bool) -> str:
        try:
            raw: object
            if self._provider is None:
                from aws_lambda_powertools.utilities import parameters

                raw = parameters.get_secret(
                    self.secret_arn, max_age=self.max_age, force_fetch=force
                )
            else:
                raw = self._provider.get(self.secret_arn, max_age=self.max_age, force_fetch=force)
            if isinstance(raw, bytes):
                raw = raw.decode()
            if not isinstance(raw, str):
                raise ConfigError("MEMORY_DATABASE_SECRET_ARN: the secret has no string value")
            secret = _json_secret(raw, "MEMORY_DATABASE_SECRET_ARN")
            return database_url_from_secret(secret, host=self.host)
        except Exception as exc:  # the pool retries connection failures, nothing else
            raise psycopg.OperationalError(f"cannot read the database secret: {exc}") from exc


def database_credentials(*, provider: BaseProvider | None = None) -> SecretCredentials | None:
    """The database login from ``MEMORY_DATABASE_SECRET_ARN``, or None without one
    (``MEMORY_DATABASE_URL`` then names the database, as with ``sam local``)."""
    refs = SecretRefs()
    if not refs.database_secret_arn:
        return None
    return SecretCredentials(refs.database_secret_arn, host=refs.database_host, provider=provider)


class _PowertoolsSecrets:
    """``get_secret_value`` over Powertools Parameters (cached for ``max_age``; ``fresh``:
    always read past the cache)."""

    def __init__(self, *, fresh: bool = False) -> None:
        self.fresh = fresh

    def get_secret_value(self, *, SecretId: str) -> dict[str, str]:
        from aws_lambda_powertools.utilities import parameters

        value = parameters.get_secret(
            SecretId, max_age=SECRET_MAX_AGE_SECONDS, force_fetch=self.fresh
        )
        return {"SecretString": value if isinstance(value, str) else value.decode()}


def _secret_string(client: Any, arn: str, variable: str) -> str:
    try:
        value = client.get_secret_value(SecretId=arn).get("SecretString")
    except Exception as exc:  # any AWS error: stop the cold start naming the variable
        raise ConfigError(f"{variable}: cannot read the secret: {exc}") from exc
    if not value:
        raise ConfigError(f"{variable}: the secret has no string value")
    return str(value)
