"""What the statistics use cases need from storage: sums over the summary tables."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Protocol

from domain.provinces.ports import ProvincesUnitOfWork


@dataclass(frozen=True, slots=True)
class GroupedCount:
    """A sum over a period: `by` is what it is grouped by ("all", "province", "region",
    "month"), `key` that group's value ("" for "all"), then the dimension counted."""

    by: str
    key: str
    dimension: str
    value: str
    n: int


@dataclass(frozen=True, slots=True)
class ConclusionSum:
    by: str  # "all", "province", "region", "month"
    key: str
    outcome: str
    n: int
    damage_n: int
    damage_thb: Decimal
    recovered_n: int
    recovered_thb: Decimal


@dataclass(frozen=True, slots=True)
class OpenDeadlines:
    """Deadlines not met yet among the tips of a period, split at the time asked."""

    pending: int
    overdue: int


@dataclass(frozen=True, slots=True)
class ReferralCount:
    agency_code: str
    month: date
    status: str
    n: int


@dataclass(frozen=True, slots=True)
class VolunteerCount:
    province_code: str
    status: str
    trained: bool
    n: int


class StatisticsRepository(Protocol):
    async def tip_counts(
        self, first: date, last: date, province_code: str | None
    ) -> list[GroupedCount]:
        """Tips received in the months first..last, by dimension (category, channel,
        status, outcome, ack, feedback), overall and per province, region and month."""

    async def open_deadlines(
        self, first: date, last: date, province_code: str | None, now: datetime
    ) -> dict[str, OpenDeadlines]:
        """`ack` and `feedback` deadlines not met yet: pending (due at or after `now`) or
        overdue (due before it)."""

    async def durations(
        self, metrics: tuple[str, ...], first: date, last: date, province_code: str | None
    ) -> dict[str, dict[int, int]]:
        """Per metric, a histogram (whole units -> how many): `ack_hours`, `feedback_days`
        (by month of receipt), `investigation_days` (by month of conclusion)."""

    async def investigation_counts(
        self, first: date, last: date, province_code: str | None
    ) -> list[GroupedCount]:
        """Investigations opened in the months, by `status` and `outcome` ("" if none)."""

    async def conclusions(
        self, first: date, last: date, province_code: str | None
    ) -> list[ConclusionSum]:
        """Investigations concluded in the months, by outcome, with the amounts."""

    async def referral_counts(self, first: date, last: date) -> list[ReferralCount]: ...

    async def volunteer_counts(self, province_code: str | None) -> list[VolunteerCount]:
        """The whole registry now, by province, status and trained at least once."""

    async def volunteer_applications(
        self, first: date, last: date, province_code: str | None
    ) -> dict[date, int]: ...

    async def rebuild(self) -> None:
        """Recompute every summary from the raw rows (after a bulk load)."""


class StatisticsUnitOfWork(ProvincesUnitOfWork, Protocol):
    """What the statistics use cases need."""

    @property
    def statistics(self) -> StatisticsRepository: ...
