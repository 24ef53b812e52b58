"""Accounts: request and response models of /api/v1/users and /api/v1/me."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

from pydantic import ConfigDict, Field, model_validator

from api.pagination import PagePublic
from api.schemas import ApiModel
from domain.accounts.model import PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH, AccountChanges
from domain.policy import Role

EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
ProvinceCode = Annotated[
    str | None,
    Field(
        default=None,
        max_length=5,
        description='Two-digit province code ("40") or "TH-40"; required for '
        "provincial_officer and volunteer, refused for other roles",
        examples=["40"],
    ),
]
Password = Annotated[
    str,
    Field(
        min_length=PASSWORD_MIN_LENGTH,
        max_length=PASSWORD_MAX_LENGTH,
        json_schema_extra={"format": "password"},
        description=f"{PASSWORD_MIN_LENGTH} to {PASSWORD_MAX_LENGTH} characters",
    ),
]

USER_EXAMPLE = {
    "id": "0b9a3f0e-6a8c-4a8e-9d3b-0d6c1f7f6a11",
    "username": "somchai.k",
    "display_name": "สมชาย ก.",
    "email": "somchai@example.go.th",
    "role": "provincial_officer",
    "province_code": "40",
    "agency_code": None,
    "is_active": True,
    "must_change_password": False,
    "locked_until": None,
    "last_login_at": "2026-11-25T08:15:00Z",
    "created_at": "2026-11-20T02:00:00Z",
    "updated_at": "2026-11-20T02:00:00Z",
}


class UserPublic(ApiModel):
    """An account as the API shows it (never the password hash)."""

    # The fields are the Account entity's: `UserPublic.model_validate(account)`.
    model_config = ConfigDict(
        from_attributes=True, json_schema_extra={"examples": [dict(USER_EXAMPLE)]}
    )

    id: UUID
    username: str
    display_name: str
    email: str | None
    role: Role
    province_code: str | None
    agency_code: str | None
    is_active: bool
    must_change_password: bool
    locked_until: datetime | None = Field(
        description="Until when failed sign-ins lock the account; null when not locked"
    )
    last_login_at: datetime | None
    created_at: datetime
    updated_at: datetime


class UserPage(PagePublic[UserPublic]):
    """A page of accounts, newest first."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "items": [dict(USER_EXAMPLE)],
                    "next_cursor": "WyJ0IiwiMjAyNi0xMS0yMFQwMjowMDowMCswMDowMCIsIjBiOWEzZjBl"
                    "LTZhOGMtNGE4ZS05ZDNiLTBkNmMxZjdmNmExMSJd",
                }
            ]
        }
    )


class UserCreate(ApiModel):
    """A new account (admin)."""

    # The fields are create_account's arguments: `create_account(..., **body.model_dump())`.

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "username": "somchai.k",
                    "password": "correct horse battery staple",
                    "display_name": "สมชาย ก.",
                    "role": "provincial_officer",
                    "email": "somchai@example.go.th",
                    "province_code": "40",
                    "agency_code": None,
                }
            ]
        }
    )

    username: str = Field(
        min_length=3,
        max_length=64,
        description="3-64 characters: letters, digits, '.', '_', '-'; case-insensitive",
    )
    password: Password
    display_name: str = Field(min_length=1, max_length=200)
    role: Role = Field(description="Any role but `volunteer` (the volunteer registry's own)")
    email: str | None = Field(default=None, max_length=254, pattern=EMAIL_PATTERN)
    province_code: ProvinceCode = None
    agency_code: str | None = Field(
        default=None, min_length=1, max_length=32, description="Partner agency (partner role)"
    )


class UserUpdate(ApiModel):
    """Only the fields sent are changed; `null` clears email, province_code, agency_code."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"role": "central_officer", "province_code": None}]}
    )

    display_name: str | None = Field(default=None, min_length=1, max_length=200)
    email: str | None = Field(default=None, max_length=254, pattern=EMAIL_PATTERN)
    role: Role | None = None
    province_code: ProvinceCode = None
    agency_code: str | None = Field(default=None, min_length=1, max_length=32)
    is_active: bool | None = Field(
        default=None, description="false deactivates (accounts are never deleted)"
    )

    @model_validator(mode="after")
    def _not_null(self) -> UserUpdate:
        for name in ("display_name", "role", "is_active"):
            if name in self.model_fields_set and getattr(self, name) is None:
                raise ValueError(f"{name} cannot be null")
        return self

    def changes(self) -> AccountChanges:
        """The fields sent (PATCH semantics); the others stay UNSET."""
        return AccountChanges(**self.model_dump(exclude_unset=True))


class TemporaryPassword(ApiModel):
    """A one-time password set by an admin."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"temporary_password": "pX3t0p9xq2Vv7bZs1nKc4mQe", "must_change_password": True}
            ]
        }
    )

    temporary_password: str = Field(
        description="Shown once; the account must change it at its next sign-in"
    )
    must_change_password: bool = True


class PasswordChange(ApiModel):
    """The caller's current password and the new one."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "current_password": "pX3t0p9xq2Vv7bZs1nKc4mQe",
                    "new_password": "a long passphrase of my own",
                }
            ]
        }
    )

    current_password: str = Field(
        min_length=1, max_length=PASSWORD_MAX_LENGTH, json_schema_extra={"format": "password"}
    )
    new_password: Password
