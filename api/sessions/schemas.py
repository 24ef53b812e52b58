"""Signing in: the password form, the token response and the refresh-token body."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from api.schemas import ApiModel
from auth.tokens import IssuedToken, TokenConfig
from domain.accounts.model import PASSWORD_MAX_LENGTH
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
    expires_in: int = Field(description="Seconds until the access token expires")
    refresh_token: str = Field(
        description="Opaque; exchange it once at /api/v1/auth/refresh. Keep it secret."
    )

    @classmethod
    def of(cls, signed_in: SignedIn, access: IssuedToken, config: TokenConfig) -> TokenPublic:
        return cls(
            access_token=access.token,
            expires_in=int(config.access_ttl.total_seconds()),
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
