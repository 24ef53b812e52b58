"""Signing in: the password form, the token response and the refresh-token body."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, JsonValue

from api.schemas import ApiModel
from auth.tokens import IssuedToken
from domain.accounts.model import PASSWORD_MAX_LENGTH
from domain.clients.model import SECRET_MAX_LENGTH, format_scopes
from domain.clients.use_cases import ClientGrant
from domain.sessions.model import Session
from domain.sessions.use_cases import SignedIn


# A plain BaseModel, not ApiModel (extra="forbid"): OAuth2 clients, Swagger UI's
# Authorize dialog among them, send fields a grant does not use.
class TokenRequest(BaseModel):
    """A token request (RFC 6749), sent as a form: the password grant (section 4.3.2) of
    people, or the client credentials grant (section 4.4.2) of partner systems.

    `password`: `username` and `password` required; `scope`, `client_id` and
    `client_secret` are ignored. `client_credentials`: the client's id and secret, in an
    `Authorization: Basic` header (RFC 6749 section 2.3.1, recommended) or in `client_id`
    and `client_secret` (not both); `scope` may narrow the client's scopes.
    """

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "grant_type": "password",
                    "username": "somchai.k",
                    "password": "correct horse battery staple",
                },
                {
                    "grant_type": "client_credentials",
                    "client_id": "0b7c6d1e-3f52-4a8e-9c41-2d7e5f8a9b10",
                    "client_secret": "dtc_Qm9yZWFsbHlyYW5kb21zZWNyZXRleGFtcGxlMTIzNDU",
                    "scope": "referrals:read referrals:write",
                },
            ]
        }
    )

    # Optional for clients that leave it out (the password grant); others are a 422.
    grant_type: Literal["password", "client_credentials"] = Field(
        default="password",
        description="`password` (people; the default) or `client_credentials` (API clients)",
    )
    username: str | None = Field(
        default=None,
        min_length=1,
        max_length=256,
        description="Password grant: the account's username (case-insensitive)",
    )
    password: str | None = Field(
        default=None,
        min_length=1,
        max_length=PASSWORD_MAX_LENGTH,
        description="Password grant: the account's password",
        json_schema_extra={"format": "password"},
    )
    client_id: str | None = Field(
        default=None,
        min_length=1,
        max_length=64,
        description="Client credentials grant, when not sent with HTTP Basic: the client's id",
    )
    client_secret: str | None = Field(
        default=None,
        min_length=1,
        max_length=SECRET_MAX_LENGTH,
        description="Client credentials grant, when not sent with HTTP Basic: its secret",
        json_schema_extra={"format": "password"},
    )
    scope: str | None = Field(
        default=None,
        max_length=200,
        description="Client credentials grant: space-delimited scopes to narrow the token "
        "to (default: every scope of the client)",
    )


class TokenPublic(ApiModel):
    """A new access token (RFC 6749 section 5.1): with a refresh token for people, with
    the granted `scope` (and no refresh token) for API clients."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "access_token": "eyJhbGciOiJIUzI1NiIsImtpZCI6ImsxIiwidHlwIjoiSldUIn0...",
                    "token_type": "bearer",
                    "expires_in": 900,
                    "refresh_token": "q3Yb1n1r3aQ8oJmN0tTq8mB0bKc0yT3y2f1cHj6XxWQ",
                },
                {
                    "access_token": "eyJhbGciOiJIUzI1NiIsImtpZCI6ImsxIiwidHlwIjoiSldUIn0...",
                    "token_type": "bearer",
                    "expires_in": 600,
                    "scope": "referrals:read referrals:write",
                },
            ]
        }
    )

    access_token: str = Field(description="A JWT to send as `Authorization: Bearer ...`")
    token_type: Literal["bearer"] = "bearer"  # noqa: S105
    expires_in: int = Field(
        description="Seconds until the access token expires (ACCESS_TOKEN_MINUTES, or less "
        "near the end of the session's absolute lifetime; CLIENT_TOKEN_MINUTES for API clients)"
    )
    refresh_token: str | None = Field(
        default=None,
        description="Password grant only: opaque; exchange it once at /api/v1/auth/refresh. "
        "Keep it secret. Absent for API clients (they request a new token instead).",
    )
    scope: str | None = Field(
        default=None,
        description="Client credentials grant only: the scopes the token carries, space-delimited",
    )

    @classmethod
    def of(cls, signed_in: SignedIn, access: IssuedToken, now: datetime) -> TokenPublic:
        return cls(
            access_token=access.token,
            expires_in=int((access.expires_at - now).total_seconds()),
            refresh_token=signed_in.refresh_token,
        )

    @classmethod
    def of_client(cls, grant: ClientGrant, access: IssuedToken, ttl: timedelta) -> TokenPublic:
        return cls(
            access_token=access.token,
            expires_in=int(ttl.total_seconds()),
            scope=format_scopes(grant.scopes),
        )


class RefreshRequest(ApiModel):
    """A refresh token, in the body only (never in the URL, where logs would keep it)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"refresh_token": "q3Yb1n1r3aQ8oJmN0tTq8mB0bKc0yT3y2f1cHj6XxWQ"}]
        }
    )

    refresh_token: str = Field(min_length=1, max_length=256)


SESSION_EXAMPLE: dict[str, JsonValue] = {
    "id": "5f0c2a8e-1b7d-4c3e-9a61-2d8f4b7e9c10",
    "started_at": "2026-11-26T08:00:00Z",
    "last_used_at": "2026-11-26T09:45:00Z",
    "idle_expires_at": "2026-11-26T10:15:00Z",
    "expires_at": "2026-11-26T20:00:00Z",
    "current": True,
}


class SessionPublic(ApiModel):
    """A live sign-in session (a refresh-token family): never its tokens."""

    model_config = ConfigDict(json_schema_extra={"examples": [SESSION_EXAMPLE]})

    id: UUID = Field(description="The session id (the `sid` claim of its access tokens)")
    started_at: datetime = Field(description="When the password was presented")
    last_used_at: datetime = Field(description="When its refresh token was last issued")
    idle_expires_at: datetime = Field(
        description="It ends then unless refreshed before (SESSION_IDLE_MINUTES)"
    )
    expires_at: datetime = Field(description="It ends then in any case (SESSION_MAX_HOURS)")
    current: bool = Field(description="Whether the request was made with this session's token")

    @classmethod
    def of(cls, session: Session, current: UUID | None) -> SessionPublic:
        return cls(
            id=session.id,
            started_at=session.started_at,
            last_used_at=session.last_used_at,
            idle_expires_at=session.idle_expires_at,
            expires_at=session.expires_at,
            current=session.id == current,
        )


class SessionList(ApiModel):
    """Live sessions, most recently used first (at most 100)."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"items": [SESSION_EXAMPLE]}]})

    items: list[SessionPublic]
