"""API clients: the table. Secrets are stored only as SHA-256 digests."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    ARRAY,
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Uuid,
    text,
)
from sqlmodel import Field, SQLModel


def _tz() -> DateTime:
    return DateTime(timezone=True)


class ApiClientRow(SQLModel, table=True):
    __tablename__ = "api_clients"
    __table_args__ = (
        CheckConstraint("cardinality(scopes) > 0", name="has_scopes"),
        CheckConstraint(
            "(previous_secret_hash IS NULL) = (previous_secret_expires_at IS NULL)",
            name="previous_secret_expires",
        ),
        Index("ix_api_clients_agency_code_created_at", "agency_code", text("created_at DESC")),
    )

    id: uuid.UUID = Field(sa_column=Column(Uuid, primary_key=True))
    name: str = Field(sa_column=Column(String(200), nullable=False))
    agency_code: str = Field(
        sa_column=Column(String(16), ForeignKey("agencies.code"), nullable=False)
    )
    scopes: list[str] = Field(sa_column=Column(ARRAY(String(32)), nullable=False))
    secret_hash: str = Field(sa_column=Column(String(64), nullable=False))
    previous_secret_hash: str | None = Field(default=None, sa_column=Column(String(64)))
    previous_secret_expires_at: datetime | None = Field(default=None, sa_column=Column(_tz()))
    secret_rotated_at: datetime | None = Field(default=None, sa_column=Column(_tz()))
    revoked_at: datetime | None = Field(default=None, sa_column=Column(_tz()))
    last_authenticated_at: datetime | None = Field(default=None, sa_column=Column(_tz()))
    created_at: datetime = Field(sa_column=Column(_tz(), nullable=False))
    created_by: uuid.UUID | None = Field(
        default=None, sa_column=Column(Uuid, ForeignKey("accounts.id"))
    )
    version: int = Field(default=1, sa_column=Column(Integer, nullable=False))
