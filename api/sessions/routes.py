"""Signing in: the OAuth2 password flow, refresh-token rotation and logout."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Form, Response, status
from pydantic import ConfigDict, Field

from api.deps import Hasher, Rules, Uow, requires
from api.problems import problem_responses
from api.schemas import ApiModel
from api.services import Services, Svc
from auth.tokens import issue_access_token
from domain.accounts.model import PASSWORD_MAX_LENGTH
from domain.policy import Action, Principal
from domain.sessions.use_cases import SignedIn, login, logout, refresh

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])

#: RFC 6749 section 5.1: responses carrying tokens must not be cached.
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


class TokenPublic(ApiModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "access_token": "eyJhbGciOiJIUzI1NiIsImtpZCI6ImsxIiwidHlwIjoiSldUIn0...",
                    "token_type": "bearer",
                    "expires_in": 900,
                    "refresh_token": "q3Yb1n1r3aQ8oJmN0tTq8mB0bKc0yT3y2f1cHj6XxWQ",
                }
            ]
        }
    )

    access_token: str = Field(description="A JWT to send as `Authorization: Bearer ...`")
    token_type: Literal["bearer"] = "bearer"  # noqa: S105
    expires_in: int = Field(description="Seconds until the access token expires")
    refresh_token: str = Field(
        description="Opaque; exchange it once at /api/v1/auth/refresh. Keep it secret."
    )


class RefreshRequest(ApiModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"refresh_token": "q3Yb1n1r3aQ8oJmN0tTq8mB0bKc0yT3y2f1cHj6XxWQ"}]
        }
    )

    refresh_token: str = Field(min_length=1, max_length=256)


def _tokens(services: Services, response: Response, signed_in: SignedIn) -> TokenPublic:
    config = services.token_config
    # PyJWT checks exp/nbf/iat against the system clock, so tokens are stamped with it.
    issued = issue_access_token(config, signed_in.account.principal(), now=datetime.now(UTC))
    response.headers.update(NO_STORE)
    return TokenPublic(
        access_token=issued.token,
        expires_in=int(config.access_ttl.total_seconds()),
        refresh_token=signed_in.refresh_token,
    )


@router.post("/token", response_model=TokenPublic, responses=problem_responses(401, 422, 429))
async def auth_token(
    services: Svc,
    response: Response,
    uow: Uow,
    hasher: Hasher,
    rules: Rules,
    _caller: Annotated[Principal | None, requires(Action.AUTH_TOKEN)],
    username: Annotated[str, Form(min_length=1, max_length=256)],
    password: Annotated[
        str,
        Form(
            min_length=1, max_length=PASSWORD_MAX_LENGTH, json_schema_extra={"format": "password"}
        ),
    ],
    grant_type: Annotated[str | None, Form(pattern="^password$")] = None,
) -> TokenPublic:
    """Sign in with username and password (OAuth2 password flow, form body).

    Returns a 15-minute access token and a refresh token. A wrong username and a wrong
    password get the same 401; 5 consecutive failures lock the account for 15 minutes
    (429 with Retry-After).
    """
    signed_in = await login(uow, hasher, username=username, password=password, rules=rules)
    return _tokens(services, response, signed_in)


@router.post("/refresh", response_model=TokenPublic, responses=problem_responses(401, 422))
async def auth_refresh(
    services: Svc,
    response: Response,
    uow: Uow,
    rules: Rules,
    _caller: Annotated[Principal | None, requires(Action.AUTH_REFRESH)],
    body: RefreshRequest,
) -> TokenPublic:
    """Exchange a refresh token for new tokens (the old refresh token stops working).

    Presenting a refresh token a second time revokes every token of its sign-in (the
    token was copied), and the caller must sign in again.
    """
    signed_in = await refresh(uow, refresh_token=body.refresh_token, rules=rules)
    return _tokens(services, response, signed_in)


@router.post(
    "/logout", status_code=status.HTTP_204_NO_CONTENT, responses=problem_responses(401, 422)
)
async def auth_logout(
    uow: Uow,
    _caller: Annotated[Principal | None, requires(Action.AUTH_LOGOUT)],
    body: RefreshRequest,
) -> Response:
    """Sign out: revoke the refresh token and every token rotated from the same sign-in.

    Unknown or already revoked tokens are accepted silently. The access token stays
    valid until it expires (at most 15 minutes); clients should discard it.
    """
    await logout(uow, refresh_token=body.refresh_token)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
