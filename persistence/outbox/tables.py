"""The transactional outbox: events written in the transaction of the change they report.

`xid` is the writing transaction's id (`pg_current_xact_id()`, a 64-bit xid8 held as
bigint): the changes feed reads in (xid, seq) order, and only below the oldest running
transaction, so an event committed late is never skipped (persistence/outbox/repository.py).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Column, DateTime, ForeignKey, Identity, Index, String, Uuid, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

#: The writing transaction's id, as bigint (xid8 fits until 2**63 transactions).
CURRENT_XID = "((pg_current_xact_id())::text)::bigint"


class OutboxEventRow(SQLModel, table=True):
    __tablename__ = "outbox_events"
    __table_args__ = (Index("ix_outbox_events_agency_code_xid_seq", "agency_code", "xid", "seq"),)

    id: uuid.UUID = Field(sa_column=Column(Uuid, primary_key=True))
    seq: int | None = Field(
        default=None,
        sa_column=Column(BigInteger, Identity(always=True), nullable=False, unique=True),
    )
    xid: int | None = Field(
        default=None,
        sa_column=Column(BigInteger, nullable=False, server_default=text(CURRENT_XID)),
    )
    type: str = Field(sa_column=Column(String(64), nullable=False))
    agency_code: str = Field(
        sa_column=Column(String(16), ForeignKey("agencies.code"), nullable=False)
    )
    occurred_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    data: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSONB, nullable=False))
