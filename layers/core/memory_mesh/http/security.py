"""Authentication and authorisation for routes, and the rate limits that go with them.

Two ways to authenticate, both in the OpenAPI document:
- ``Authorization: Bearer <access token>`` from ``POST /v1/auth/login``;
- ``x-api-key: <key>`` from ``POST /v1/auth/api-keys`` (bound to one tenant, scoped).

Every authenticated request counts against the caller's global limit; every request
that names a tenant also counts against that tenant's limit. Over either: 429 with
``Retry-After``; answers carry ``X-RateLimit-Limit/Remaining/Reset`` of the tighter one.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request, Response
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from memory_mesh.domain.identity import Principal, Scope, Unauthorized
from memory_mesh.errors import InvalidInput, TooManyRequests
from memory_mesh.http.deps import RuntimeDep
from memory_mesh.observability.context import note_principal, note_tenant
from memory_mesh.observability.metrics import RateLimitKind
from memory_mesh.ratelimit.limiter import Decision
from memory_mesh.runtime import Runtime

bearer_scheme = HTTPBearer(
    auto_error=False, description="Access token from POST /v1/auth/login (15 minutes)."
)
api_key_scheme = APIKeyHeader(
    name="x-api-key", auto_error=False, description="API key from POST /v1/auth/api-keys."
)


def _headers(decision: Decision) -> dict[str, str]:
    return {
        "X-RateLimit-Limit": str(decision.limit),
        "X-RateLimit-Remaining": str(decision.remaining),
        "X-RateLimit-Reset": str(decision.retry_after),
    }


async def _count(
    runtime: Runtime, response: Response, rule: str, key: str, what: RateLimitKind
) -> None:
    decision = await runtime.limiter.hit(rule, key)
    headers = _headers(decision)
    if not decision.allowed:
        runtime.metrics.rate_limit_hit(limit=what)
        raise TooManyRequests(
            f"{what} rate limit of {rule} exceeded; retry after {decision.retry_after} s",
            code="rate_limited",
            headers={"Retry-After": str(decision.retry_after), **headers},
        )
    current = response.headers.get("X-RateLimit-Remaining")
    if current is None or int(current) >= decision.remaining:
        response.headers.update(headers)


async def current_principal(
    request: Request,
    response: Response,
    runtime: RuntimeDep,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
    api_key: Annotated[str | None, Depends(api_key_scheme)],
) -> Principal:
    if api_key:
        principal = await runtime.auth.principal_from_api_key(api_key)
    elif bearer is not None and bearer.credentials:
        principal = await runtime.auth.principal_from_access_token(bearer.credentials)
    else:
        raise Unauthorized(
            "authenticate with 'Authorization: Bearer <token>' or 'x-api-key: <key>'",
            code="not_authenticated",
            headers={"WWW-Authenticate": "Bearer"},
        )
    note_principal(principal.kind, principal.id)
    await _count(
        runtime, response, runtime.settings.global_rate_limit, principal.rate_key, "caller"
    )
    request.state.principal = principal
    return principal


async def anonymous_limit(request: Request, response: Response, runtime: RuntimeDep) -> None:
    """Unauthenticated routes (sign-up, sign-in) are limited per client address."""
    host = request.client.host if request.client else "unknown"
    await _count(runtime, response, runtime.settings.global_rate_limit, f"ip:{host}", "client")


PrincipalDep = Annotated[Principal, Depends(current_principal)]


class Access:
    """The caller, and the tenant checks every tenant-scoped route makes."""

    def __init__(self, principal: PrincipalDep, runtime: RuntimeDep, response: Response):
        self.principal = principal
        self.runtime = runtime
        self.response = response

    async def tenant(self, requested: str | None, scope: Scope) -> str:
        """The tenant to act in (``requested``, or the caller's only one), authorised for
        ``scope`` (403 otherwise) and counted against the tenant's rate limit.

        A signed-in user naming a tenant that does not exist yet claims it (becomes its
        admin) when MEMORY_TENANT_OPEN_CLAIM is on; memberships are read from the database
        on every request, so the same session token holds it from now on."""
        tenant_id = requested or self.principal.default_tenant()
        if tenant_id is None:
            raise InvalidInput(
                "tenant_id: required, since this credential holds several tenants",
                code="tenant_required",
                details=[{"field": "tenant_id", "problem": "missing"}],
            )
        if tenant_id not in self.principal.tenants:
            self.principal = await self.runtime.auth.claim_tenant(self.principal, tenant_id)
        self.principal.authorize(tenant_id, scope)
        note_tenant(tenant_id)
        await _count(
            self.runtime,
            self.response,
            self.runtime.settings.tenant_rate_limit,
            f"tenant:{tenant_id}",
            "tenant",
        )
        return tenant_id


async def _access(principal: PrincipalDep, runtime: RuntimeDep, response: Response) -> Access:
    # a coroutine, not the class itself: FastAPI would build the class in a worker thread
    return Access(principal, runtime, response)


AccessDep = Annotated[Access, Depends(_access)]
