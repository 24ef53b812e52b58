"""Statistics: summary tables, kept in step with the raw rows by database triggers.

Every table here is a sum over raw rows, keyed by the dimensions a statistic is asked
by; the counts change in the same transaction as the rows they count (statement-level
triggers with transition tables, written by migration 0017, which also defines
`stat_rebuild()` to recompute them all). Months are Bangkok months (UTC+7): the first
day of the month a record falls in on the Thai calendar. Nothing here names a person.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import BigInteger, Boolean, Column, Date, Index, Integer, Numeric, String
from sqlmodel import Field, SQLModel


def _key(length: int) -> Column[str]:
    return Column(String(length), primary_key=True, nullable=False)


def _month() -> Column[date]:
    return Column(Date, primary_key=True, nullable=False)


def _count() -> Column[int]:
    return Column(BigInteger, nullable=False)


class StatTipCountRow(SQLModel, table=True):
    """Tips per (province, month of receipt) by one dimension at a time: `category`,
    `channel`, `status`, `outcome` (closed tips), `ack` and `feedback` (met, late, open).
    Province '' holds the national sums (a national question reads 12 months, not 77x)."""

    __tablename__ = "stat_tip_counts"
    __table_args__ = (
        Index(
            "ix_stat_tip_counts_dimension_month",
            "dimension",
            "month",
            "province_code",
            "value",
        ),
        # Room on each page for in-place (HOT) updates of the counts (migration 0019).
        {"postgresql_with": {"fillfactor": 50}},
    )

    province_code: str = Field(sa_column=_key(2))
    month: date = Field(sa_column=_month())
    dimension: str = Field(sa_column=_key(16))
    value: str = Field(sa_column=_key(32))
    n: int = Field(sa_column=_count())


class StatTipOpenDeadlineRow(SQLModel, table=True):
    """Deadlines not met yet (`ack`, `feedback`) per Bangkok due day: whether one is still
    pending or already breached depends on the time of the question, not on a write.
    Province '' holds the national sums."""

    __tablename__ = "stat_tip_open_deadlines"

    province_code: str = Field(sa_column=_key(2))
    month: date = Field(sa_column=_month())
    kind: str = Field(sa_column=_key(8))
    due_day: date = Field(sa_column=Column(Date, primary_key=True, nullable=False))
    n: int = Field(sa_column=_count())


class StatDurationRow(SQLModel, table=True):
    """Histograms of durations in whole units (`ack_hours`, `feedback_days`,
    `investigation_days`); `scope` is a province code, or '' for the whole country."""

    __tablename__ = "stat_durations"

    scope: str = Field(sa_column=_key(2))
    metric: str = Field(sa_column=_key(24))
    month: date = Field(sa_column=_month())
    value: int = Field(sa_column=Column(Integer, primary_key=True, nullable=False))
    n: int = Field(sa_column=_count())


class StatInvestigationRow(SQLModel, table=True):
    """Investigations per (lead province, month opened, status, outcome or '')."""

    __tablename__ = "stat_investigations"

    province_code: str = Field(sa_column=_key(2))
    month: date = Field(sa_column=_month())
    status: str = Field(sa_column=_key(16))
    outcome: str = Field(sa_column=_key(32))
    n: int = Field(sa_column=_count())


class StatConclusionRow(SQLModel, table=True):
    """Concluded investigations per (lead province, month concluded, outcome), with the
    damage estimated and the amounts recovered where recorded (and how many recorded)."""

    __tablename__ = "stat_conclusions"

    province_code: str = Field(sa_column=_key(2))
    month: date = Field(sa_column=_month())
    outcome: str = Field(sa_column=_key(32))
    n: int = Field(sa_column=_count())
    damage_n: int = Field(sa_column=_count())
    damage_thb: Decimal = Field(sa_column=Column(Numeric(18, 2), nullable=False))
    recovered_n: int = Field(sa_column=_count())
    recovered_thb: Decimal = Field(sa_column=Column(Numeric(18, 2), nullable=False))


class StatReferralRow(SQLModel, table=True):
    """Referrals per (agency, month referred, status)."""

    __tablename__ = "stat_referrals"

    agency_code: str = Field(sa_column=_key(16))
    month: date = Field(sa_column=_month())
    status: str = Field(sa_column=_key(16))
    n: int = Field(sa_column=_count())


class StatVolunteerRow(SQLModel, table=True):
    """Volunteers per (province, month applied, status, trained at least once)."""

    __tablename__ = "stat_volunteers"

    province_code: str = Field(sa_column=_key(2))
    month: date = Field(sa_column=_month())
    status: str = Field(sa_column=_key(16))
    trained: bool = Field(sa_column=Column(Boolean, primary_key=True, nullable=False))
    n: int = Field(sa_column=_count())
