"""Audit trail: the append-only table."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Index,
    String,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel


class AuditRow(SQLModel, table=True):
    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_log_actor_id_seq", "actor_id", "seq"),
        Index("ix_audit_log_action_seq", "action", "seq"),
        Index("ix_audit_log_action_family_seq", text("split_part(action, '.', 1)"), "seq"),
        Index("ix_audit_log_entity_seq", "entity_type", "entity_id", "seq"),
        Index("ix_audit_log_province_code_seq", "province_code", "seq"),
        Index("ix_audit_log_occurred_at_seq", "occurred_at", "seq"),
    )

    seq: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    occurred_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    actor_id: str = Field(sa_column=Column(String(64), nullable=False))
    actor_role: str | None = Field(default=None, sa_column=Column(String(32)))
    action: str = Field(sa_column=Column(String(64), nullable=False))
    entity_type: str | None = Field(default=None, sa_column=Column(String(32)))
    entity_id: str | None = Field(default=None, sa_column=Column(String(64)))
    province_code: str | None = Field(default=None, sa_column=Column(String(2)))
    request_id: str | None = Field(default=None, sa_column=Column(String(64)))
    details: dict[str, Any] = Field(
        default_factory=dict, sa_column=Column(JSONB, nullable=False, server_default="{}")
    )
    prev_hash: str = Field(sa_column=Column(String(64), nullable=False))
    hash: str = Field(sa_column=Column(String(64), nullable=False, unique=True))


class AuditShipmentRow(SQLModel, table=True):
    """How far the trail has been copied to an off-server sink (persistence/audit/shipping.py):
    every entry up to `shipped_seq` was written there, in order."""

    __tablename__ = "audit_shipments"

    #: SHA-256 of the sink's URL (which may carry credentials): a new sink starts at 0.
    sink_id: str = Field(sa_column=Column(String(64), primary_key=True))
    shipped_seq: int = Field(
        default=0, sa_column=Column(BigInteger, nullable=False, server_default="0")
    )
    shipped_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
