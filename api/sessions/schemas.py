"""Signing in: the password form, the token response and the refresh-token body."""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, JsonValue

from api.schemas import ApiModel
from auth.tokens import IssuedToken
from domain.accounts.model import PASSWORD_MAX_LENGTH
from domain.sessions.model import Session
from domain.sessions.use_cases import SignedIn


# A plain BaseModel, not ApiModel (extra="forbid"): OAuth2 clients, Swagger UI's
# Authorize dialog among them, also send scope, client_id and client_secret.
class PasswordTokenRequest(BaseModel):
    """The OAuth2 password grant (RFC 6749 section 4.3.2), sent as a form.

    `scope`, `client_id` and `client_secret`, which OAuth2 clients may send, are ignored.
    """

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "grant_type": "password",
                    "username": "somchai.k",
                    "password": "correct horse battery staple",
                }
            ]
        }
    )

    # Optional for clients that leave it out (as before); any other value is a 422.
    grant_type: Literal["password"] = Field(
        default="password", description="Always `password` (the OAuth2 password grant)"
    )
    username: str = Field(
        min_length=1, max_length=256, description="The account's username (case-insensitive)"
    )
    password: str = Field(
        min_length=1, max_length=PASSWORD_MAX_LENGTH, json_schema_extra={"format": "password"}
    )


class TokenPublic(ApiModel):
    """A new access token and refresh token (RFC 6749 section 5.1)."""

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
    expires_in: int = Field(
        description="Seconds until the access token expires (ACCESS_TOKEN_MINUTES, or less "
        "near the end of the session's absolute lifetime)"
    )
    refresh_token: str = Field(
        description="Opaque; exchange it once at /api/v1/auth/refresh. Keep it secret."
    )

    @classmethod
    def of(cls, signed_in: SignedIn, access: IssuedToken, now: datetime) -> TokenPublic:
        return cls(
            access_token=access.token,
            expires_in=int((access.expires_at - now).total_seconds()),
            refresh_token=signed_in.refresh_token,
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
