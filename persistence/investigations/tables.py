"""Investigations: tables (sealed columns hold AES-GCM ciphertexts, see persistence/crypto.py)."""

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
    text,
)
from sqlmodel import Field, SQLModel

from domain.investigations.model import (
    AssignmentRole,
    InvestigationOutcome,
    InvestigationStatus,
    Priority,
    TimelineKind,
)
from domain.investigations.referrals import ReferralStatus
from persistence.base import one_of


def _tz() -> DateTime:
    return DateTime(timezone=True)


class InvestigationRow(SQLModel, table=True):
    __tablename__ = "investigations"
    __table_args__ = (
        CheckConstraint(one_of("status", InvestigationStatus), name="status_known"),
        CheckConstraint(one_of("priority", Priority), name="priority_known"),
        CheckConstraint(
            "outcome IS NULL OR " + one_of("outcome", InvestigationOutcome), name="outcome_known"
        ),
        CheckConstraint(
            "(status = 'concluded') = (outcome IS NOT NULL AND concluded_at IS NOT NULL)",
            name="outcome_when_concluded",
        ),
        CheckConstraint(
            "damage_estimated_thb IS NULL OR damage_estimated_thb >= 0",
            name="damage_not_negative",
        ),
        CheckConstraint(
            "amount_recovered_thb IS NULL OR amount_recovered_thb >= 0",
            name="recovered_not_negative",
        ),
        Index("ix_investigations_created_at_id", text("created_at DESC"), text("id DESC")),
        Index(
            "ix_investigations_lead_province_code_created_at_id",
            "lead_province_code",
            text("created_at DESC"),
            text("id DESC"),
        ),
        Index(
            "ix_investigations_status_created_at_id",
            "status",
            text("created_at DESC"),
            text("id DESC"),
        ),
    )

    id: uuid.UUID = Field(sa_column=Column(Uuid, primary_key=True))
    reference: str = Field(sa_column=Column(String(24), nullable=False, unique=True))
    lead_province_code: str = Field(
        sa_column=Column(String(2), ForeignKey("provinces.code"), nullable=False)
    )
    priority: str = Field(sa_column=Column(String(16), nullable=False))
    status: str = Field(sa_column=Column(String(16), nullable=False))
    outcome: str | None = Field(default=None, sa_column=Column(String(32)))
    due_on: date | None = Field(default=None, sa_column=Column(Date))
    created_at: datetime = Field(sa_column=Column(_tz(), nullable=False))
    created_by: uuid.UUID = Field(sa_column=Column(Uuid, ForeignKey("accounts.id"), nullable=False))
    updated_at: datetime = Field(sa_column=Column(_tz(), nullable=False))
    concluded_at: datetime | None = Field(default=None, sa_column=Column(_tz()))
    # Recorded at the conclusion where known (annual report, EU Directive 2019/1937 Art. 27).
    damage_estimated_thb: Decimal | None = Field(default=None, sa_column=Column(Numeric(14, 2)))
    amount_recovered_thb: Decimal | None = Field(default=None, sa_column=Column(Numeric(14, 2)))
    # Sealed (AES-256-GCM, key id inside each value): they may name people.
    title: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    findings: bytes | None = Field(default=None, sa_column=Column(LargeBinary))
    version: int = Field(default=1, sa_column=Column(Integer, nullable=False))


class InvestigationTipRow(SQLModel, table=True):
    """A tip linked to an investigation. `open` mirrors the investigation (not concluded),
    so the database itself keeps a tip in at most one open investigation."""

    __tablename__ = "investigation_tips"
    __table_args__ = (
        Index("ix_investigation_tips_tip_id", "tip_id"),
        Index(
            "uq_investigation_tips_tip_id_open",
            "tip_id",
            unique=True,
            postgresql_where=text("open"),
        ),
    )

    investigation_id: uuid.UUID = Field(
        sa_column=Column(Uuid, ForeignKey("investigations.id"), primary_key=True, nullable=False)
    )
    tip_id: uuid.UUID = Field(
        sa_column=Column(Uuid, ForeignKey("tips.id"), primary_key=True, nullable=False)
    )
    position: int = Field(sa_column=Column(Integer, nullable=False))
    linked_at: datetime = Field(sa_column=Column(_tz(), nullable=False))
    open: bool = Field(sa_column=Column(Boolean, nullable=False))


class InvestigationAssignmentRow(SQLModel, table=True):
    """Who works on an investigation now (removal deletes the row; the timeline keeps it)."""

    __tablename__ = "investigation_assignments"
    __table_args__ = (
        CheckConstraint(one_of("role", AssignmentRole), name="role_known"),
        Index("ix_investigation_assignments_account_id", "account_id"),
        # One lead per investigation.
        Index(
            "uq_investigation_assignments_investigation_id_lead",
            "investigation_id",
            unique=True,
            postgresql_where=text("role = 'lead'"),
        ),
    )

    investigation_id: uuid.UUID = Field(
        sa_column=Column(Uuid, ForeignKey("investigations.id"), primary_key=True, nullable=False)
    )
    account_id: uuid.UUID = Field(
        sa_column=Column(Uuid, ForeignKey("accounts.id"), primary_key=True, nullable=False)
    )
    role: str = Field(sa_column=Column(String(16), nullable=False))
    assigned_at: datetime = Field(sa_column=Column(_tz(), nullable=False))
    assigned_by: uuid.UUID = Field(sa_column=Column(Uuid, nullable=False))


class InvestigationTimelineRow(SQLModel, table=True):
    """One step of an investigation; what may name people is sealed in `content`."""

    __tablename__ = "investigation_timeline"
    __table_args__ = (
        CheckConstraint(one_of("kind", TimelineKind), name="kind_known"),
        Index("ix_investigation_timeline_investigation_id_seq", "investigation_id", "seq"),
    )

    id: uuid.UUID = Field(sa_column=Column(Uuid, primary_key=True))
    seq: int | None = Field(
        default=None, sa_column=Column(BigInteger, Identity(always=True), nullable=False)
    )
    investigation_id: uuid.UUID = Field(
        sa_column=Column(Uuid, ForeignKey("investigations.id"), nullable=False)
    )
    at: datetime = Field(sa_column=Column(_tz(), nullable=False))
    kind: str = Field(sa_column=Column(String(32), nullable=False))
    actor_id: uuid.UUID = Field(sa_column=Column(Uuid, nullable=False))
    actor_role: str = Field(sa_column=Column(String(32), nullable=False))
    from_status: str | None = Field(default=None, sa_column=Column(String(16)))
    to_status: str | None = Field(default=None, sa_column=Column(String(16)))
    outcome: str | None = Field(default=None, sa_column=Column(String(32)))
    subject_id: uuid.UUID | None = Field(default=None, sa_column=Column(Uuid))
    assignment_role: str | None = Field(default=None, sa_column=Column(String(16)))
    agency_code: str | None = Field(default=None, sa_column=Column(String(16)))
    referral_status: str | None = Field(default=None, sa_column=Column(String(16)))
    # Sealed JSON: the text (a reason, a note), the evidence record, the fields changed.
    content: bytes | None = Field(default=None, sa_column=Column(LargeBinary))


class ReferralRow(SQLModel, table=True):
    """An investigation referred to a partner agency; the summary is sealed."""

    __tablename__ = "referrals"
    __table_args__ = (
        CheckConstraint(one_of("status", ReferralStatus), name="status_known"),
        Index("ix_referrals_created_at_id", text("created_at DESC"), text("id DESC")),
        Index(
            "ix_referrals_agency_code_created_at_id",
            "agency_code",
            text("created_at DESC"),
            text("id DESC"),
        ),
        Index("ix_referrals_investigation_id", "investigation_id"),
        # One referral at a time per investigation; a declined one may be referred again.
        Index(
            "uq_referrals_investigation_id_active",
            "investigation_id",
            unique=True,
            postgresql_where=text("status <> 'declined'"),
        ),
    )

    id: uuid.UUID = Field(sa_column=Column(Uuid, primary_key=True))
    investigation_id: uuid.UUID = Field(
        sa_column=Column(Uuid, ForeignKey("investigations.id"), nullable=False)
    )
    agency_code: str = Field(
        sa_column=Column(String(16), ForeignKey("agencies.code"), nullable=False)
    )
    status: str = Field(sa_column=Column(String(16), nullable=False))
    summary: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    created_at: datetime = Field(sa_column=Column(_tz(), nullable=False))
    created_by: uuid.UUID = Field(sa_column=Column(Uuid, ForeignKey("accounts.id"), nullable=False))
    updated_at: datetime = Field(sa_column=Column(_tz(), nullable=False))
    version: int = Field(default=1, sa_column=Column(Integer, nullable=False))


class InvestigationCounterRow(SQLModel, table=True):
    """The last reference number given out per Buddhist Era year."""

    __tablename__ = "investigation_reference_counters"

    year: int = Field(sa_column=Column(Integer, primary_key=True, autoincrement=False))
    last_seq: int = Field(sa_column=Column(Integer, nullable=False))
