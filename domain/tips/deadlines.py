"""Legal deadlines of a tip, and its human reference.

Defaults follow the EU Whistleblower Directive 2019/1937 (the benchmark most systems use):
acknowledge within 7 days of receipt; give feedback within 3 months of the acknowledgement.

- `ack_due_at` = received_at + ack_days.
- `feedback_due_at` = acknowledged_at + feedback_months (calendar months; the day is
  clamped to the end of a shorter month: 30 November + 3 months = 28/29 February).
  Before the acknowledgement it is ack_due_at + feedback_months: the latest date the
  law allows, since an acknowledgement can lawfully come no later than ack_due_at.
- A deadline is *met* when the act happened at or before it, *pending* while it has not
  happened and the deadline has not passed, and *overdue* when it passed without the act
  (or the act came late: a breach stays a breach). Feedback is the first message to the
  reporter from officials, or the closure, whichever comes first.

The repository computes the same predicate in SQL (`?overdue=ack|feedback`).
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from enum import StrEnum

#: Thailand has kept UTC+7 without daylight saving since 1920: no tz database needed.
BANGKOK = timezone(timedelta(hours=7), "Asia/Bangkok")
BUDDHIST_ERA_OFFSET = 543


class DeadlineStatus(StrEnum):
    MET = "met"
    PENDING = "pending"
    OVERDUE = "overdue"


class OverdueKind(StrEnum):
    ACK = "ack"
    FEEDBACK = "feedback"


def add_months(at: datetime, months: int) -> datetime:
    """Calendar months later, same time of day; the day clamped to the month's end."""
    index = at.month - 1 + months
    year, month = at.year + index // 12, index % 12 + 1
    day = min(at.day, calendar.monthrange(year, month)[1])
    return at.replace(year=year, month=month, day=day)


@dataclass(frozen=True, slots=True)
class DeadlineRules:
    ack_days: int = 7
    feedback_months: int = 3

    def ack_due(self, received_at: datetime) -> datetime:
        return received_at + timedelta(days=self.ack_days)

    def feedback_due(self, *, acknowledged_at: datetime | None, ack_due_at: datetime) -> datetime:
        start = acknowledged_at if acknowledged_at is not None else ack_due_at
        # Months are counted on the Bangkok calendar (the reporter's and the office's).
        return add_months(start.astimezone(BANGKOK), self.feedback_months).astimezone(start.tzinfo)


def _status(due: datetime, done_at: datetime | None, now: datetime) -> DeadlineStatus:
    if done_at is not None:
        return DeadlineStatus.MET if done_at <= due else DeadlineStatus.OVERDUE
    return DeadlineStatus.OVERDUE if now > due else DeadlineStatus.PENDING


def ack_status(due: datetime, acknowledged_at: datetime | None, now: datetime) -> DeadlineStatus:
    return _status(due, acknowledged_at, now)


def feedback_status(
    due: datetime, first_feedback_at: datetime | None, now: datetime
) -> DeadlineStatus:
    return _status(due, first_feedback_at, now)


def buddhist_year(received_at: datetime) -> int:
    """The Buddhist Era year of the moment, on the Bangkok calendar (CE + 543)."""
    return received_at.astimezone(BANGKOK).year + BUDDHIST_ERA_OFFSET


def format_reference(year_be: int, seq: int) -> str:
    """`TIP-2569-000123`: Buddhist Era year of receipt, gap-free sequence within the year."""
    return f"TIP-{year_be}-{seq:06d}"
