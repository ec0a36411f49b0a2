"""/v1/auth: sign up, sign in, refresh, who am I, tenants and members, API keys."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request, Response, status
from pydantic import BaseModel, Field

from memory_mesh.domain.identity import USERNAME_RULE, MemberRole, Scope, Unauthorized
from memory_mesh.errors import InvalidInput
from memory_mesh.http.bodies.base import Strict, TenantId
from memory_mesh.http.deps import AuthDep, SettingsDep
from memory_mesh.http.routers.common import ERRORS
from memory_mesh.http.security import AccessDep, PrincipalDep, anonymous_limit
from memory_mesh.services.auth import TokenPair

router = APIRouter(prefix="/v1/auth", tags=["auth"], responses=ERRORS)


class RegisterIn(Strict):
    email: str = Field(examples=["ada@example.com"])
    username: str | None = Field(
        None,
        description=f"Optional; {USERNAME_RULE}. Unique case-insensitively; "
        "sign in with it or the email.",
        examples=["ada"],
    )
    password: str = Field(
        description="MEMORY_PASSWORD_MIN_LENGTH (12) or more characters, not a common password."
    )
    tenant_id: TenantId | None = Field(None, description="Your first tenant (default: made up).")
    tenant_name: str | None = None


class RegisterOut(BaseModel):
    user_id: UUID
    tenant_id: str


class LoginIn(Strict):
    email: str | None = Field(
        None,
        description="The email, or the username (a value without '@' is taken as one).",
        examples=["ada@example.com"],
    )
    username: str | None = Field(None, description="The username, instead of `email`.")
    password: str
    use_cookie: bool = Field(
        False,
        description="Browsers: keep the refresh token in an httpOnly, SameSite=Strict cookie "
        "(scoped to /v1/auth) instead of the body, out of reach of page scripts.",
    )


class RefreshIn(Strict):
    refresh_token: str | None = Field(
        None, description="Omit to use the refresh cookie set by a cookie login."
    )


class TokensOut(BaseModel):
    token_type: str = "bearer"
    access_token: str
    access_expires_at: datetime
    refresh_token: str | None = Field(
        description="Single use: each refresh returns a new one. Null in cookie mode."
    )
    refresh_expires_at: datetime

    @classmethod
    def of(cls, pair: TokenPair, *, in_cookie: bool = False) -> TokensOut:
        return cls(
            access_token=pair.access_token,
            access_expires_at=pair.access_expires_at,
            refresh_token=None if in_cookie else pair.refresh_token,
            refresh_expires_at=pair.refresh_expires_at,
        )


REFRESH_COOKIE = "mm_refresh"
_COOKIE_PATH = "/v1/auth"


def _set_refresh_cookie(response: Response, pair: TokenPair, secure: bool) -> None:
    response.set_cookie(
        REFRESH_COOKIE,
        pair.refresh_token,
        expires=pair.refresh_expires_at,
        path=_COOKIE_PATH,
        httponly=True,
        samesite="strict",
        secure=secure,
    )


def _refresh_token(body: RefreshIn, request: Request) -> tuple[str, bool]:
    if body.refresh_token:
        return body.refresh_token, False
    cookie = request.cookies.get(REFRESH_COOKIE)
    if not cookie:
        raise Unauthorized("no refresh token in the body or the cookie", code="invalid_token")
    return cookie, True


class TenantAccessOut(BaseModel):
    tenant_id: str
    scopes: list[str]
    role: str | None


class MeOut(BaseModel):
    kind: str = Field(description="user or api_key")
    id: UUID
    email: str | None
    username: str | None = Field(description="Null for API keys and users without one.")
    is_superuser: bool
    tenants: list[TenantAccessOut]


class TenantIn(Strict):
    tenant_id: TenantId
    name: str | None = None


class MemberIn(Strict):
    email: str
    role: MemberRole = MemberRole.member


class ApiKeyIn(Strict):
    tenant_id: TenantId | None = None
    name: str = Field(
        min_length=1, max_length=200, pattern=r"^[^\x00]*$", examples=["chatbot production"]
    )
    scopes: list[Scope] = Field(default_factory=lambda: [Scope.read, Scope.write], min_length=1)
    expires_in_days: int | None = Field(None, ge=1, le=3650)


class ApiKeyOut(BaseModel):
    id: UUID
    tenant_id: str
    name: str
    prefix: str = Field(description="First characters of the key, to recognise it.")
    scopes: list[str]
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None

    @classmethod
    def of(cls, row: dict[str, Any]) -> ApiKeyOut:
        return cls(**{k: row[k] for k in cls.model_fields})


class NewApiKeyOut(ApiKeyOut):
    key: str = Field(description="The key itself. Shown this once; store it now.")


Anonymous = [Depends(anonymous_limit)]


@router.post(
    "/register",
    status_code=status.HTTP_201_CREATED,
    dependencies=Anonymous,
    summary="Create an account and its first tenant (you are its admin)",
)
async def register(body: RegisterIn, auth: AuthDep) -> RegisterOut:
    user_id, tenant_id = await auth.register(
        email=body.email,
        username=body.username,
        password=body.password,
        tenant_id=body.tenant_id,
        tenant_name=body.tenant_name,
    )
    return RegisterOut(user_id=user_id, tenant_id=tenant_id)


@router.post(
    "/login",
    dependencies=Anonymous,
    summary="Sign in: an access token (Bearer) and a refresh token",
    description="Name the account by `email` or `username` (either field; `email` may "
    "also hold the username). Repeated failures for one account are throttled (429 with "
    "Retry-After).",
)
async def login(
    body: LoginIn, auth: AuthDep, settings: SettingsDep, response: Response
) -> TokensOut:
    if (body.email is None) == (body.username is None):
        raise InvalidInput(
            "email: give the email or the username (exactly one of the two fields)",
            code="login_required",
            details=[{"field": "email", "problem": "exactly one of email, username"}],
        )
    pair = await auth.login(body.email or body.username or "", body.password)
    if body.use_cookie:
        _set_refresh_cookie(response, pair, settings.environment == "production")
    return TokensOut.of(pair, in_cookie=body.use_cookie)


@router.post(
    "/refresh",
    dependencies=Anonymous,
    summary="Trade a refresh token for a new pair (the old one is spent)",
    description="Using a spent refresh token again revokes the whole session.",
)
async def refresh(
    body: RefreshIn, auth: AuthDep, settings: SettingsDep, request: Request, response: Response
) -> TokensOut:
    token, from_cookie = _refresh_token(body, request)
    pair = await auth.refresh(token)
    if from_cookie:
        _set_refresh_cookie(response, pair, settings.environment == "production")
    return TokensOut.of(pair, in_cookie=from_cookie)


@router.post(
    "/logout",
    status_code=status.HTTP_204_NO_CONTENT,
    dependencies=Anonymous,
    summary="Revoke the session a refresh token belongs to",
)
async def logout(body: RefreshIn, auth: AuthDep, request: Request, response: Response) -> None:
    token, _ = _refresh_token(body, request)
    await auth.logout(token)
    response.delete_cookie(REFRESH_COOKIE, path=_COOKIE_PATH)


@router.get("/me", summary="Who the credential is and what it may touch")
async def me(principal: PrincipalDep, auth: AuthDep) -> MeOut:
    return MeOut(**await auth.me(principal))


@router.post("/tenants", status_code=status.HTTP_201_CREATED, summary="Create another tenant")
async def create_tenant(body: TenantIn, principal: PrincipalDep, auth: AuthDep) -> TenantIn:
    await auth.create_tenant(principal, body.tenant_id, body.name)
    return body


@router.post(
    "/tenants/{tenant_id}/members",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Give an existing user a role in a tenant (tenant admins only)",
)
async def add_member(
    tenant_id: TenantId, body: MemberIn, principal: PrincipalDep, auth: AuthDep
) -> None:
    await auth.add_member(principal, tenant_id, body.email, body.role)


@router.post(
    "/api-keys",
    status_code=status.HTTP_201_CREATED,
    summary="Create an API key for one tenant (shown once)",
)
async def create_api_key(body: ApiKeyIn, access: AccessDep, auth: AuthDep) -> NewApiKeyOut:
    tenant_id = await access.tenant(body.tenant_id, Scope.admin)
    made = await auth.create_api_key(
        access.principal,
        tenant_id=tenant_id,
        name=body.name,
        scopes=body.scopes,
        expires_in_days=body.expires_in_days,
    )
    return NewApiKeyOut(**ApiKeyOut.of(made.row).model_dump(), key=made.key)


@router.get("/api-keys", summary="List a tenant's API keys (never the keys themselves)")
async def list_api_keys(
    access: AccessDep,
    auth: AuthDep,
    tenant_id: Annotated[TenantId | None, Query()] = None,
) -> list[ApiKeyOut]:
    tenant = await access.tenant(tenant_id, Scope.admin)
    return [ApiKeyOut.of(row) for row in await auth.list_api_keys(access.principal, tenant)]


@router.delete(
    "/api-keys/{key_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Revoke an API key (effective at once)",
)
async def revoke_api_key(key_id: UUID, principal: PrincipalDep, auth: AuthDep) -> None:
    await auth.revoke_api_key(principal, key_id)
