"""Tips: tables (sealed columns hold AES-GCM ciphertexts, see persistence/crypto.py)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    Integer,
    LargeBinary,
    Numeric,
    String,
    Uuid,
    func,
    text,
)
from sqlmodel import Field, SQLModel

from domain.tips.disclosures import DisclosureStatus
from domain.tips.model import (
    TipCategory,
    TipChannel,
    TipOutcome,
    TipStatus,
)
from persistence.base import one_of


class TipRow(SQLModel, table=True):
    __tablename__ = "tips"
    __table_args__ = (
        CheckConstraint(one_of("status", TipStatus), name="status_known"),
        CheckConstraint(one_of("category", TipCategory), name="category_known"),
        CheckConstraint(one_of("channel", TipChannel), name="channel_known"),
        CheckConstraint(
            "outcome IS NULL OR " + one_of("outcome", TipOutcome), name="outcome_known"
        ),
        CheckConstraint("amount_thb IS NULL OR amount_thb >= 0", name="amount_not_negative"),
        Index("ix_tips_received_at_id", text("received_at DESC"), text("id DESC")),
        Index(
            "ix_tips_province_code_received_at_id",
            "province_code",
            text("received_at DESC"),
            text("id DESC"),
        ),
        Index(
            "ix_tips_province_code_status_received_at_id",
            "province_code",
            "status",
            text("received_at DESC"),
            text("id DESC"),
        ),
        Index("ix_tips_status_received_at_id", "status", text("received_at DESC"), text("id DESC")),
        Index(
            "ix_tips_category_received_at_id", "category", text("received_at DESC"), text("id DESC")
        ),
        Index(
            "ix_tips_reporter_hash_received_at_id",
            "reporter_hash",
            text("received_at DESC"),
            text("id DESC"),
            postgresql_where=text("reporter_hash IS NOT NULL"),
        ),
        # Overdue lists: the open deadlines, and the breached ones (late acts).
        Index(
            "ix_tips_ack_open",
            "ack_due_at",
            postgresql_where=text("acknowledged_at IS NULL"),
        ),
        Index(
            "ix_tips_ack_late",
            text("received_at DESC"),
            postgresql_where=text("acknowledged_at > ack_due_at"),
        ),
        Index(
            "ix_tips_feedback_open",
            "feedback_due_at",
            postgresql_where=text("first_feedback_at IS NULL"),
        ),
        Index(
            "ix_tips_feedback_late",
            text("received_at DESC"),
            postgresql_where=text("first_feedback_at > feedback_due_at"),
        ),
        # The smallest time any tip had between receipt and deadline (see `_overdue_sql`).
        Index("ix_tips_ack_window", text("(ack_due_at - received_at)")),
        Index("ix_tips_feedback_window", text("(feedback_due_at - received_at)")),
    )

    id: uuid.UUID = Field(sa_column=Column(Uuid, primary_key=True))
    reference: str = Field(sa_column=Column(String(24), nullable=False, unique=True))
    province_code: str = Field(
        sa_column=Column(String(2), ForeignKey("provinces.code"), nullable=False)
    )
    recused_province_code: str | None = Field(
        default=None, sa_column=Column(String(2), ForeignKey("provinces.code"))
    )
    category: str = Field(sa_column=Column(String(32), nullable=False))
    channel: str = Field(sa_column=Column(String(16), nullable=False))
    status: str = Field(sa_column=Column(String(16), nullable=False))
    outcome: str | None = Field(default=None, sa_column=Column(String(32)))
    received_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    ack_due_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    feedback_due_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    acknowledged_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True))
    )
    first_feedback_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True))
    )
    closed_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    incident_date: date | None = Field(default=None, sa_column=Column(Date))
    incident_period_start: date | None = Field(default=None, sa_column=Column(Date))
    incident_period_end: date | None = Field(default=None, sa_column=Column(Date))
    amount_thb: Decimal | None = Field(default=None, sa_column=Column(Numeric(14, 2)))
    description: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    accused: bytes | None = Field(default=None, sa_column=Column(LargeBinary))
    location: bytes | None = Field(default=None, sa_column=Column(LargeBinary))
    contact: bytes | None = Field(default=None, sa_column=Column(LargeBinary))
    reporter: bytes | None = Field(default=None, sa_column=Column(LargeBinary))
    reporter_hash: str | None = Field(default=None, sa_column=Column(String(64)))
    receipt_hash: str | None = Field(default=None, sa_column=Column(String(64), unique=True))
    #: Ids of the hash keys the two keyed hashes were made under (NULL: the single key
    #: of earlier versions); look-ups try every listed key, `api.cli rehash` moves them.
    reporter_hash_kid: str | None = Field(default=None, sa_column=Column(String(32)))
    receipt_hash_kid: str | None = Field(default=None, sa_column=Column(String(32)))
    recorded_by: uuid.UUID | None = Field(
        default=None, sa_column=Column(Uuid, ForeignKey("accounts.id"))
    )
    version: int = Field(default=1, sa_column=Column(Integer, nullable=False))


class TipEventRow(SQLModel, table=True):
    __tablename__ = "tip_events"
    __table_args__ = (Index("ix_tip_events_tip_id_seq", "tip_id", "seq"),)

    id: uuid.UUID = Field(sa_column=Column(Uuid, primary_key=True))
    seq: int | None = Field(
        default=None, sa_column=Column(BigInteger, Identity(always=True), nullable=False)
    )
    tip_id: uuid.UUID = Field(sa_column=Column(Uuid, ForeignKey("tips.id"), nullable=False))
    at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    actor_id: uuid.UUID = Field(sa_column=Column(Uuid, nullable=False))
    actor_role: str = Field(sa_column=Column(String(32), nullable=False))
    from_status: str = Field(sa_column=Column(String(16), nullable=False))
    to_status: str = Field(sa_column=Column(String(16), nullable=False))
    outcome: str | None = Field(default=None, sa_column=Column(String(32)))
    reason: bytes | None = Field(default=None, sa_column=Column(LargeBinary))


class TipMessageRow(SQLModel, table=True):
    __tablename__ = "tip_messages"
    __table_args__ = (
        Index("ix_tip_messages_tip_id_seq", "tip_id", "seq"),
        CheckConstraint("author IN ('reporter', 'official')", name="author_known"),
        CheckConstraint(
            "author = 'official' OR (NOT internal AND author_account_id IS NULL)",
            name="reporter_messages_public_and_unattributed",
        ),
    )

    id: uuid.UUID = Field(sa_column=Column(Uuid, primary_key=True))
    seq: int | None = Field(
        default=None, sa_column=Column(BigInteger, Identity(always=True), nullable=False)
    )
    tip_id: uuid.UUID = Field(sa_column=Column(Uuid, ForeignKey("tips.id"), nullable=False))
    created_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    author: str = Field(sa_column=Column(String(16), nullable=False))
    author_account_id: uuid.UUID | None = Field(default=None, sa_column=Column(Uuid))
    author_role: str | None = Field(default=None, sa_column=Column(String(32)))
    internal: bool = Field(sa_column=Column(Boolean, nullable=False))
    body: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


class TipLinkRow(SQLModel, table=True):
    __tablename__ = "tip_links"
    __table_args__ = (
        Index("ix_tip_links_target_id", "target_id"),
        # One link per pair of tips whichever way round (A->B and B->A are the same pair),
        # so two concurrent requests cannot link them both ways (migration 0008).
        Index(
            "uq_tip_links_pair",
            func.least(text("tip_id"), text("target_id")),
            func.greatest(text("tip_id"), text("target_id")),
            unique=True,
        ),
        CheckConstraint("tip_id <> target_id", name="not_self"),
        CheckConstraint("kind IN ('duplicate_of', 'related')", name="kind_known"),
    )

    tip_id: uuid.UUID = Field(
        sa_column=Column(Uuid, ForeignKey("tips.id"), primary_key=True, nullable=False)
    )
    target_id: uuid.UUID = Field(
        sa_column=Column(Uuid, ForeignKey("tips.id"), primary_key=True, nullable=False)
    )
    kind: str = Field(sa_column=Column(String(16), nullable=False))
    created_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    created_by: uuid.UUID = Field(sa_column=Column(Uuid, nullable=False))


class TipCounterRow(SQLModel, table=True):
    """The last reference number given out per Buddhist Era year."""

    __tablename__ = "tip_reference_counters"

    year: int = Field(sa_column=Column(Integer, primary_key=True, autoincrement=False))
    last_seq: int = Field(sa_column=Column(Integer, nullable=False))


class TipDisclosureRow(SQLModel, table=True):
    """A request to see who reported a tip, and the custodian's decision (reasons sealed)."""

    __tablename__ = "tip_disclosures"
    __table_args__ = (
        CheckConstraint(one_of("status", DisclosureStatus), name="status_known"),
        CheckConstraint(
            "(status = 'pending') = (decided_by IS NULL AND decided_at IS NULL)",
            name="decided_unless_pending",
        ),
        CheckConstraint("decided_by IS NULL OR decided_by <> requested_by", name="not_own"),
        Index("ix_tip_disclosures_requested_at_id", text("requested_at DESC"), text("id DESC")),
        Index(
            "ix_tip_disclosures_requested_by_requested_at_id",
            "requested_by",
            text("requested_at DESC"),
            text("id DESC"),
        ),
        Index("ix_tip_disclosures_tip_id", "tip_id"),
    )

    id: uuid.UUID = Field(sa_column=Column(Uuid, primary_key=True))
    tip_id: uuid.UUID = Field(sa_column=Column(Uuid, ForeignKey("tips.id"), nullable=False))
    requested_by: uuid.UUID = Field(
        sa_column=Column(Uuid, ForeignKey("accounts.id"), nullable=False)
    )
    requester_role: str = Field(sa_column=Column(String(32), nullable=False))
    status: str = Field(sa_column=Column(String(16), nullable=False))
    requested_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    decided_by: uuid.UUID | None = Field(
        default=None, sa_column=Column(Uuid, ForeignKey("accounts.id"))
    )
    decided_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    reason: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    decision_reason: bytes | None = Field(default=None, sa_column=Column(LargeBinary))
