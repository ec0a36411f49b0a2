"""Settings for a Lambda function, with secrets read from AWS Secrets Manager.

The template passes secret ARNs, never secret values: ``MEMORY_DATABASE_SECRET_ARN``
(the Aurora credentials; ``MEMORY_DATABASE_URL`` is built from it),
``MEMORY_JWT_SECRET_KEY_SECRET_ARN`` and ``MEMORY_GEMINI_API_KEY_SECRET_ARN`` (secrets
whose string is the value). They are read through Powertools Parameters'
``get_secret`` with a ``max_age`` (:data:`SECRET_MAX_AGE_SECONDS`): a container that
reads settings again after a rotation gets the new value, not a cached old one.

``MEMORY_DATABASE_HOST`` replaces the secret's host: the template points it at RDS
Proxy when the proxy is on (the credentials stay the secret's).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from memory_mesh.config import ENV_PREFIX, ConfigError, Settings, load_settings


class SecretRefs(BaseSettings):
    """Where the cloud's secrets live (ARNs); read from ``MEMORY_*`` like every setting."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="ignore", frozen=True)

    database_secret_arn: str | None = Field(
        None, description="Secrets Manager secret {username, password, host, port, dbname}."
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
    return (
        f"postgresql://{user}:{password}@{host or secret['host']}:{port}/{dbname}?sslmode=require"
    )


def load_cloud_settings(*, secrets_client: Any | None = None) -> Settings:
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
        client = secrets_client or _PowertoolsSecrets()
        if refs.database_secret_arn:
            raw = _secret_string(client, refs.database_secret_arn, "MEMORY_DATABASE_SECRET_ARN")
            try:
                secret = json.loads(raw)
            except json.JSONDecodeError:
                raise ConfigError("MEMORY_DATABASE_SECRET_ARN: the secret is not JSON") from None
            overrides["database_url"] = database_url_from_secret(secret, host=refs.database_host)
        for setting, (arn, variable) in plain.items():
            if arn:
                overrides[setting] = _secret_string(client, arn, variable).strip()
    return load_settings(**overrides)


class _PowertoolsSecrets:
    """``get_secret_value`` over Powertools Parameters (cached for ``max_age``)."""

    def get_secret_value(self, *, SecretId: str) -> dict[str, str]:
        from aws_lambda_powertools.utilities import parameters

        value = parameters.get_secret(SecretId, max_age=SECRET_MAX_AGE_SECONDS)
        return {"SecretString": value if isinstance(value, str) else value.decode()}


def _secret_string(client: Any, arn: str, variable: str) -> str:
    try:
        value = client.get_secret_value(SecretId=arn).get("SecretString")
    except Exception as exc:  # any AWS error: stop the cold start naming the variable
        raise ConfigError(f"{variable}: cannot read the secret: {exc}") from exc
    if not value:
        raise ConfigError(f"{variable}: the secret has no string value")
    return str(value)
