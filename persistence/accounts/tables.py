"""Accounts: the table."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, Column, DateTime, Index, Integer, String, text
from sqlmodel import Field, SQLModel

from domain.policy import Role
from persistence.base import one_of


class AccountRow(SQLModel, table=True):
    __tablename__ = "accounts"
    __table_args__ = (
        CheckConstraint("username = lower(username)", name="username_lower"),
        CheckConstraint(one_of("role", Role), name="role_known"),
        # The account list pages by (created_at, id) DESC, optionally filtered.
        Index("ix_accounts_created_at_id", text("created_at DESC"), text("id DESC")),
        Index("ix_accounts_role_created_at_id", "role", text("created_at DESC"), text("id DESC")),
        Index(
            "ix_accounts_province_code_created_at_id",
            "province_code",
            text("created_at DESC"),
            text("id DESC"),
        ),
    )

    id: uuid.UUID = Field(primary_key=True)
    username: str = Field(sa_column=Column(String(64), nullable=False, unique=True))
    display_name: str = Field(max_length=200)
    email: str | None = Field(default=None, max_length=254)
    role: str = Field(max_length=32, index=True)
    province_code: str | None = Field(
        default=None, foreign_key="provinces.code", max_length=2, index=True
    )
    agency_code: str | None = Field(default=None, max_length=32)
    is_active: bool = True
    must_change_password: bool = False
    password_hash: str | None = None
    failed_logins: int = 0
    locked_until: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    last_login_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    created_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    updated_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    version: int = 1
    #: The `tv` claim of access tokens; bumped to refuse every token issued before.
    token_version: int = Field(
        default=1, sa_column=Column(Integer, nullable=False, server_default="1")
    )
