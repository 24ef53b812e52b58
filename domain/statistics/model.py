"""Statistics: the figures, as the use cases return them.

Counts come from summary tables kept by the database in the same transaction as the
records (persistence/statistics); the domain turns them into the figures below. Times are
whole units (a tip acknowledged after 26 h 59 min counts 26 hours), and medians and p90
are *discrete* percentiles: the smallest value that at least half (90 %) of the records
reach, as PostgreSQL's `percentile_disc`, so a recount over raw rows gives the same.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from domain.statistics.periods import Period

#: Counts keyed by a dimension's value (a province code, a status, a month ...).
Counts = dict[str, int]


def percentile(histogram: Mapping[int, int], fraction: float) -> int | None:
    """`percentile_disc(fraction)` of the values a histogram counts; None when empty."""
    total = sum(histogram.values())
    if total == 0:
        return None
    needed = max(1, math.ceil(fraction * total - 1e-9))
    running = 0
    for value in sorted(histogram):
        running += histogram[value]
        if running >= needed:
            return value
    return max(histogram)  # pragma: no cover - running reaches total


@dataclass(frozen=True, slots=True)
class Durations:
    """How long something took, in whole `unit`s: how many, median and p90."""

    unit: str
    count: int
    median: int | None
    p90: int | None

    @classmethod
    def of(cls, unit: str, histogram: Mapping[int, int]) -> Durations:
        return cls(
            unit=unit,
            count=sum(histogram.values()),
            median=percentile(histogram, 0.5),
            p90=percentile(histogram, 0.9),
        )


@dataclass(frozen=True, slots=True)
class DeadlineCompliance:
    """Of the tips of the period: deadline met, still pending, overdue (missed: the act
    came late, or has not come and the deadline passed; a late act stays overdue)."""

    met: int
    pending: int
    overdue: int

    @property
    def total(self) -> int:
        return self.met + self.pending + self.overdue

    def share(self, part: int) -> float | None:
        return round(part / self.total, 4) if self.total else None


@dataclass(frozen=True, slots=True)
class TipStatistics:
    period: Period
    province_code: str | None
    total: int
    by_province: Counts
    by_region: Counts
    by_category: Counts
    by_channel: Counts
    by_status: Counts
    by_outcome: Counts
    by_month: Counts  # "2025-10" -> tips received that Bangkok month
    acknowledgement: DeadlineCompliance
    feedback: DeadlineCompliance
    time_to_acknowledge: Durations
    time_to_feedback: Durations


@dataclass(frozen=True, slots=True)
class InvestigationStatistics:
    period: Period
    province_code: str | None
    opened: int
    opened_by_status: Counts  # current status of those opened in the period
    opened_by_month: Counts
    concluded: int
    concluded_by_outcome: Counts
    concluded_by_month: Counts
    duration: Durations
    damage_estimated_thb: Decimal
    damage_recorded: int
    amount_recovered_thb: Decimal
    recovery_recorded: int


@dataclass(frozen=True, slots=True)
class ReferralStatistics:
    period: Period
    total: int
    by_agency: dict[str, Counts]
    by_status: Counts
    by_month: Counts


@dataclass(frozen=True, slots=True)
class VolunteerStatistics:
    period: Period
    province_code: str | None
    total: int  # every volunteer on the registry (any time), by status and province below
    by_status: Counts
    by_province: Counts
    trained: int
    active: int
    active_trained: int
    applications_by_month: Counts  # applications received in the period

    @property
    def trained_share(self) -> float | None:
        return round(self.active_trained / self.active, 4) if self.active else None


@dataclass(frozen=True, slots=True)
class AnnualReport:
    """EU Directive 2019/1937 Art. 27-style figures for one Thai fiscal year."""

    fiscal_year: int
    period: Period
    reports_received: int
    reports_by_channel: Counts
    reports_by_category: Counts
    acknowledged_within_deadline: int
    feedback_within_deadline: int
    investigations_opened: int
    investigations_concluded: int
    outcomes: Counts
    referrals: int
    referrals_by_agency: Counts
    prosecutions: int
    damage_estimated_thb: Decimal
    damage_recorded: int
    amount_recovered_thb: Decimal
    recovery_recorded: int
    median_hours_to_acknowledge: int | None
    median_days_to_feedback: int | None
    median_days_to_conclude: int | None


@dataclass(frozen=True, slots=True)
class PublicCell:
    """A published count, or None when suppressed (fewer than 5, or complementary)."""

    value: int | None

    @property
    def suppressed(self) -> bool:
        return self.value is None


@dataclass(frozen=True, slots=True)
class PublicRow:
    key: str  # a province code, a region, a month "2025-10", "total"
    received: PublicCell
    acknowledged_in_time: PublicCell
    concluded: PublicCell


@dataclass(frozen=True, slots=True)
class PublicStatistics:
    period: Period
    fiscal_year: int
    threshold: int
    national: PublicRow
    regions: list[PublicRow]
    provinces: list[PublicRow]
    months: list[PublicRow]
    outcomes: dict[str, PublicCell]
    province_regions: dict[str, str] = field(default_factory=dict)


def month_key(month: date) -> str:
    return f"{month.year:04d}-{month.month:02d}"
