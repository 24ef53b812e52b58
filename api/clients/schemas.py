"""API clients: request and response schemas, their examples and converters.

No response ever carries a stored secret: the secret is in the answer of a registration
or a rotation only (`ClientSecretPublic`), once.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import AwareDatetime, ConfigDict, Field

from api.pagination import PagePublic
from api.schemas import ApiModel
from domain.clients.model import NAME_MAX, ApiClient
from domain.clients.use_cases import IssuedSecret
from domain.policy import ClientScope

_CLIENT: dict[str, Any] = {
    "id": "0b7c6d1e-3f52-4a8e-9c41-2d7e5f8a9b10",
    "name": "PACC case management system",
    "agency_code": "PACC",
    "scopes": ["referrals:read", "referrals:write"],
    "is_active": True,
    "created_at": "2026-11-26T09:00:00Z",
    "created_by": "5b1d8f0e-2c3a-4e7b-9f6d-1a2b3c4d5e6f",
    "secret_rotated_at": None,
    "previous_secret_expires_at": None,
    "revoked_at": None,
    "last_authenticated_at": "2026-11-26T09:05:00Z",
}
_SECRET = "dtc_Qm9yZWFsbHlyYW5kb21zZWNyZXRleGFtcGxlMTIzNDU"  # noqa: S105 - an example


class ClientPublic(ApiModel):
    """An API client of a partner agency's system (never its secret)."""

    model_config = ConfigDict(json_schema_extra={"examples": [_CLIENT]})

    id: UUID = Field(description="The `client_id` of the client credentials grant")
    name: str
    agency_code: str = Field(description="The agency it acts for (its referrals only)")
    scopes: list[ClientScope] = Field(description="What its tokens may be granted")
    is_active: bool = Field(description="false once revoked (for good)")
    created_at: datetime
    created_by: UUID | None = Field(description="The admin who registered it")
    secret_rotated_at: datetime | None
    previous_secret_expires_at: datetime | None = Field(
        description="After a rotation: until when the previous secret is still accepted"
    )
    revoked_at: datetime | None
    last_authenticated_at: datetime | None = Field(description="Its last token request")

    @classmethod
    def of(cls, client: ApiClient) -> ClientPublic:
        return cls(
            id=client.id,
            name=client.name,
            agency_code=client.agency_code,
            scopes=[scope for scope in ClientScope if scope in client.scopes],
            is_active=client.is_active,
            created_at=client.created_at,
            created_by=client.created_by,
            secret_rotated_at=client.secret_rotated_at,
            previous_secret_expires_at=client.previous_secret_expires_at,
            revoked_at=client.revoked_at,
            last_authenticated_at=client.last_authenticated_at,
        )


class ClientSecretPublic(ApiModel):
    """A client with its new secret: shown in this answer only, keep it safe."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"client": _CLIENT, "client_secret": _SECRET}]}
    )

    client: ClientPublic
    client_secret: str = Field(
        description="Shown once, never again (only a keyed hash is stored): with the "
        "client's `id`, the credentials of the client credentials grant"
    )

    @classmethod
    def of(cls, issued: IssuedSecret) -> ClientSecretPublic:
        return cls(client=ClientPublic.of(issued.client), client_secret=issued.secret)


class ClientPage(PagePublic[ClientPublic]):
    """A page of API clients, newest first."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"items": [_CLIENT], "next_cursor": None}]}
    )


class ClientCreate(ApiModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "name": "PACC case management system",
                    "agency_code": "PACC",
                    "scopes": ["referrals:read", "referrals:write"],
                }
            ]
        }
    )

    name: str = Field(min_length=1, max_length=NAME_MAX, description="Which system it is")
    agency_code: str = Field(
        min_length=2, max_length=16, description="An active agency of /api/v1/agencies"
    )
    scopes: list[ClientScope] = Field(min_length=1, max_length=len(ClientScope))


class SecretRotation(ApiModel):
    """When the previous secret stops working (the body may be left out)."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"old_secret_valid_until": "2026-11-27T09:00:00Z"}]}
    )

    old_secret_valid_until: AwareDatetime | None = Field(
        default=None,
        description="Until when the previous secret is still accepted, at most 30 days "
        "ahead; a time not later than now ends it at once (a leaked secret). Default: "
        "now + CLIENT_SECRET_OVERLAP_HOURS (24 hours)",
    )
