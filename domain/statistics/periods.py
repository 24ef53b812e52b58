"""Periods of the statistics: Bangkok months, Thai fiscal years and calendar years.

- Every record counts in the **Bangkok month** (UTC+7) it happened in: a tip received at
  2025-09-30T17:30Z is a tip of October 2025 (00:30 on 1 October in Bangkok).
- The **Thai fiscal year** runs 1 October to 30 September and is named by the Buddhist
  Era year it ends in: FY2569 = 1 October 2025 to 30 September 2026 (BE = CE + 543).
- A **calendar year** is asked by its Buddhist Era number too (2569 = 2026).
- Figures are kept per month, so a period is a range of whole months; `from`/`to` dates
  are widened to the months that hold them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from domain.errors import InvalidInput
from domain.tips.deadlines import BANGKOK, BUDDHIST_ERA_OFFSET

#: The first Buddhist Era year accepted (2400 BE = 1857 CE): smaller numbers are CE years
#: typed by mistake, and are refused rather than silently read as BE.
MIN_BE_YEAR = 2400
MAX_BE_YEAR = 2700

MONTHS_TH = (
    "ม.ค.",
    "ก.พ.",
    "มี.ค.",
    "เม.ย.",
    "พ.ค.",
    "มิ.ย.",
    "ก.ค.",
    "ส.ค.",
    "ก.ย.",
    "ต.ค.",
    "พ.ย.",
    "ธ.ค.",
)
MONTHS_EN = (
    "Jan",
    "Feb",
    "Mar",
    "Apr",
    "May",
    "Jun",
    "Jul",
    "Aug",
    "Sep",
    "Oct",
    "Nov",
    "Dec",
)


def bangkok_month(at: datetime) -> date:
    """The first day of the Bangkok month the moment falls in."""
    local = at.astimezone(BANGKOK)
    return date(local.year, local.month, 1)


def bangkok_day(at: datetime) -> date:
    return at.astimezone(BANGKOK).date()


def fiscal_year_of(month: date) -> int:
    """The Thai fiscal year (Buddhist Era) a month belongs to."""
    return month.year + BUDDHIST_ERA_OFFSET + (1 if month.month >= 10 else 0)


def add_months(month: date, count: int) -> date:
    index = month.year * 12 + month.month - 1 + count
    return date(index // 12, index % 12 + 1, 1)


def month_end(month: date) -> date:
    """The last day of the month."""
    return add_months(month, 1) - timedelta(days=1)


def month_label_th(month: date) -> str:
    return f"{MONTHS_TH[month.month - 1]} {month.year + BUDDHIST_ERA_OFFSET}"


def month_label_en(month: date) -> str:
    return f"{MONTHS_EN[month.month - 1]} {month.year}"


def _check_be(year: int, what: str) -> None:
    if not MIN_BE_YEAR <= year <= MAX_BE_YEAR:
        raise InvalidInput(
            f"{what} is a Buddhist Era year ({MIN_BE_YEAR}-{MAX_BE_YEAR}; 2569 = 2026 CE)."
        )


@dataclass(frozen=True, slots=True)
class Period:
    """Whole Bangkok months, `first` to `last` inclusive (both first days of months)."""

    first: date
    last: date
    kind: str = "range"  # "fiscal_year", "year" or "range"

    @classmethod
    def fiscal_year(cls, year_be: int) -> Period:
        _check_be(year_be, "fiscal_year")
        end_ce = year_be - BUDDHIST_ERA_OFFSET
        return cls(date(end_ce - 1, 10, 1), date(end_ce, 9, 1), "fiscal_year")

    @classmethod
    def calendar_year(cls, year_be: int) -> Period:
        _check_be(year_be, "year")
        ce = year_be - BUDDHIST_ERA_OFFSET
        return cls(date(ce, 1, 1), date(ce, 12, 1), "year")

    @classmethod
    def between(cls, start: date, end: date) -> Period:
        if end < start:
            raise InvalidInput("`to` is before `from`.")
        first, last = date(start.year, start.month, 1), date(end.year, end.month, 1)
        if (last.year - first.year) * 12 + last.month - first.month >= 12 * 20:
            raise InvalidInput("A period spans at most 20 years.")
        return cls(first, last, "range")

    @property
    def months(self) -> list[date]:
        found, month = [], self.first
        while month <= self.last:
            found.append(month)
            month = add_months(month, 1)
        return found

    @property
    def start(self) -> date:
        return self.first

    @property
    def end(self) -> date:
        return month_end(self.last)

    @property
    def label_th(self) -> str:
        if self.kind == "fiscal_year":
            return f"ปีงบประมาณ พ.ศ. {fiscal_year_of(self.first)}"
        if self.kind == "year":
            return f"ปี พ.ศ. {self.first.year + BUDDHIST_ERA_OFFSET}"
        return f"{month_label_th(self.first)} - {month_label_th(self.last)}"

    @property
    def label_en(self) -> str:
        if self.kind == "fiscal_year":
            fy = fiscal_year_of(self.first)
            return f"Fiscal year {fy} BE ({self.start.isoformat()} to {self.end.isoformat()})"
        if self.kind == "year":
            return f"Year {self.first.year + BUDDHIST_ERA_OFFSET} BE ({self.first.year})"
        return f"{self.start.isoformat()} to {self.end.isoformat()}"


def current_fiscal_year(now: datetime) -> int:
    return fiscal_year_of(bangkok_month(now))


def choose_period(
    *,
    now: datetime,
    start: date | None = None,
    end: date | None = None,
    fiscal_year: int | None = None,
    year: int | None = None,
) -> Period:
    """The period a request asks for: one of a fiscal year, a calendar year or a from/to
    range (either end may be left out: the current fiscal year's bounds fill it); none
    given: the current fiscal year (Bangkok calendar)."""
    given = sum(x is not None for x in (fiscal_year, year)) + (start is not None or end is not None)
    if given > 1:
        raise InvalidInput("Give one of fiscal_year, year, or from/to.")
    if fiscal_year is not None:
        return Period.fiscal_year(fiscal_year)
    if year is not None:
        return Period.calendar_year(year)
    current = Period.fiscal_year(current_fiscal_year(now))
    if start is None and end is None:
        return current
    return Period.between(start or current.start, end or bangkok_day(now))
