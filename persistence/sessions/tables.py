"""Signing in: refresh tokens and login throttles (keyed hashes of usernames)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Column, DateTime, ForeignKey, Index, Integer, String, Uuid, text
from sqlmodel import Field, SQLModel


class RefreshTokenRow(SQLModel, table=True):
    __tablename__ = "refresh_tokens"
    __table_args__ = (
        Index("ix_refresh_tokens_family_id", "family_id"),
        Index("ix_refresh_tokens_account_id", "account_id"),
        # "Was this session ended?", asked by every authenticated request (api/deps.py):
        # an empty range of this small index for a live session, no heap visit.
        Index(
            "ix_refresh_tokens_revoked_family_id",
            "family_id",
            postgresql_where=text("revoked_at IS NOT NULL"),
        ),
    )

    id: uuid.UUID = Field(primary_key=True)
    account_id: uuid.UUID = Field(sa_column=Column(Uuid, ForeignKey("accounts.id"), nullable=False))
    family_id: uuid.UUID = Field(sa_column=Column(Uuid, nullable=False))
    parent_id: uuid.UUID | None = Field(default=None, sa_column=Column(Uuid, nullable=True))
    token_hash: str = Field(sa_column=Column(String(64), nullable=False, unique=True))
    issued_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    expires_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    used_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    revoked_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    #: When the family (the sign-in session) started: its absolute lifetime counts from here.
    session_started_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class LoginThrottleRow(SQLModel, table=True):
    __tablename__ = "login_throttles"

    key_hash: str = Field(sa_column=Column(String(64), primary_key=True))
    failures: int = Field(sa_column=Column(Integer, nullable=False, server_default="0"))
    locked_until: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), index=True)
    )
