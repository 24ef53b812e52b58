"""Statistics: sums over the summary tables (persistence/statistics/tables.py).

Every query reads summary rows of the months asked (at most a few tens of thousands
rows at 1,000,000 tips), never the raw records, except for one bounded look at the tips
whose deadline falls today (pending or overdue depends on the hour asked).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from sqlalchemy import text
from sqlmodel.ext.asyncio.session import AsyncSession

from domain.statistics.periods import add_months, bangkok_day
from domain.statistics.ports import (
    ConclusionSum,
    GroupedCount,
    OpenDeadlines,
    ReferralCount,
    VolunteerCount,
)
from domain.tips.deadlines import BANGKOK


def _grouped(table: str, dimension: str, value: str) -> str:
    """Sums of `n` over the months asked, overall and per province, region and month
    (GROUPING SETS: one pass over the summary rows), by `value`."""
    groups = f"({value})" if dimension.startswith("'") else f"({dimension}, {value})"
    keys = groups[1:-1]
    return f"""
    SELECT CASE WHEN grouping(s.province_code) = 0 THEN 'province'
                WHEN grouping(p.region) = 0 THEN 'region'
                WHEN grouping(s.month) = 0 THEN 'month' ELSE 'all' END AS by,
           coalesce(s.province_code, p.region, to_char(s.month, 'YYYY-MM'), '') AS key,
           {dimension} AS dimension, {value} AS value, sum(s.n)::bigint AS n
    FROM {table} s JOIN provinces p ON p.code = s.province_code
    WHERE s.month BETWEEN :first AND :last
      AND (CAST(:province AS text) IS NULL OR s.province_code = :province)
    GROUP BY GROUPING SETS ({groups}, (s.province_code, {keys}), (p.region, {keys}),
                            (s.month, {keys}))
    HAVING sum(s.n) <> 0
    """  # noqa: S608 - constant identifiers


_OPEN_TODAY = """
SELECT count(*) FROM tips
WHERE {done} IS NULL AND {due} >= :day_start AND {due} < :now
  AND received_at >= :start AND received_at < :end
  AND (CAST(:province AS text) IS NULL OR province_code = :province)
"""


class SqlStatisticsRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def _rows(self, sql: str, params: Mapping[str, Any]) -> list[Any]:
        connection = await self._session.connection()
        return list((await connection.execute(text(sql), dict(params))).all())

    @staticmethod
    def _params(first: date, last: date, province_code: str | None) -> dict[str, Any]:
        return {"first": first, "last": last, "province": province_code}

    async def tip_counts(
        self, first: date, last: date, province_code: str | None
    ) -> list[GroupedCount]:
        # Overall and per month from the national rows ('') or the one province's; per
        # province and region only the dimensions those breakdowns show. One round trip.
        rows = await self._rows(
            """
            (SELECT CASE WHEN grouping(month) = 0 THEN 'month' ELSE 'all' END AS by,
                    coalesce(to_char(month, 'YYYY-MM'), '') AS key, dimension, value,
                    sum(n) AS n
             FROM stat_tip_counts
             WHERE province_code = coalesce(CAST(:province AS text), '')
               AND month BETWEEN :first AND :last
             GROUP BY GROUPING SETS ((dimension, value), (month, dimension, value))
             HAVING sum(n) <> 0)
            UNION ALL
            (SELECT CASE WHEN grouping(s.province_code) = 0 THEN 'province' ELSE 'region' END,
                    coalesce(s.province_code, p.region), s.dimension, s.value, sum(s.n)
             FROM stat_tip_counts s JOIN provinces p ON p.code = s.province_code
             WHERE s.dimension IN ('status', 'ack') AND s.month BETWEEN :first AND :last
               AND (CAST(:province AS text) IS NULL OR s.province_code = :province)
             GROUP BY GROUPING SETS ((s.province_code, s.dimension, s.value),
                                     (p.region, s.dimension, s.value))
             HAVING sum(s.n) <> 0)
            """,
            self._params(first, last, province_code),
        )
        return [GroupedCount(r.by, r.key, r.dimension, r.value, int(r.n)) for r in rows]

    async def open_deadlines(
        self, first: date, last: date, province_code: str | None, now: datetime
    ) -> dict[str, OpenDeadlines]:
        today = bangkok_day(now)
        summed = await self._rows(
            "SELECT kind, sum(n) FILTER (WHERE due_day < :today) AS before,"
            " sum(n) FILTER (WHERE due_day = :today) AS today,"
            " sum(n) FILTER (WHERE due_day > :today) AS after"
            " FROM stat_tip_open_deadlines WHERE month BETWEEN :first AND :last"
            " AND province_code = coalesce(CAST(:province AS text), '') GROUP BY kind",
            {**self._params(first, last, province_code), "today": today},
        )
        found = {kind: OpenDeadlines(pending=0, overdue=0) for kind in ("ack", "feedback")}
        day_start = datetime(today.year, today.month, today.day, tzinfo=BANGKOK)
        start = datetime(first.year, first.month, 1, tzinfo=BANGKOK)
        end_month = add_months(last, 1)
        end = datetime(end_month.year, end_month.month, 1, tzinfo=BANGKOK)
        columns = {
            "ack": ("acknowledged_at", "ack_due_at"),
            "feedback": ("first_feedback_at", "feedback_due_at"),
        }
        for row in summed:
            due_today = int(row.today or 0)
            passed_today = 0
            if due_today:
                done, due = columns[row.kind]
                (passed,) = await self._rows(
                    _OPEN_TODAY.format(done=done, due=due),
                    {
                        "day_start": day_start,
                        "now": now,
                        "start": start,
                        "end": end,
                        "province": province_code,
                    },
                )
                passed_today = int(passed[0])
            found[row.kind] = OpenDeadlines(
                pending=int(row.after or 0) + due_today - passed_today,
                overdue=int(row.before or 0) + passed_today,
            )
        return found

    async def durations(
        self, metrics: tuple[str, ...], first: date, last: date, province_code: str | None
    ) -> dict[str, dict[int, int]]:
        rows = await self._rows(
            "SELECT metric, value, sum(n) AS n FROM stat_durations WHERE scope = :scope"
            " AND metric = ANY(:metrics) AND month BETWEEN :first AND :last"
            " GROUP BY metric, value HAVING sum(n) <> 0",
            {"scope": province_code or "", "metrics": list(metrics), "first": first, "last": last},
        )
        found: dict[str, dict[int, int]] = {metric: {} for metric in metrics}
        for r in rows:
            found[r.metric][int(r.value)] = int(r.n)
        return found

    async def investigation_counts(
        self, first: date, last: date, province_code: str | None
    ) -> list[GroupedCount]:
        sql = " UNION ALL ".join(
            f"({_grouped('stat_investigations', repr(dim), f's.{dim}')})"
            for dim in ("status", "outcome")
        )
        rows = await self._rows(sql, self._params(first, last, province_code))
        return [GroupedCount(r.by, r.key, r.dimension, r.value, int(r.n)) for r in rows]

    async def conclusions(
        self, first: date, last: date, province_code: str | None
    ) -> list[ConclusionSum]:
        rows = await self._rows(
            """
            SELECT CASE WHEN grouping(s.province_code) = 0 THEN 'province'
                        WHEN grouping(p.region) = 0 THEN 'region'
                        WHEN grouping(s.month) = 0 THEN 'month' ELSE 'all' END AS by,
                   coalesce(s.province_code, p.region, to_char(s.month, 'YYYY-MM'), '') AS key,
                   s.outcome, sum(s.n) AS n, sum(s.damage_n) AS damage_n,
                   sum(s.damage_thb) AS damage_thb, sum(s.recovered_n) AS recovered_n,
                   sum(s.recovered_thb) AS recovered_thb
            FROM stat_conclusions s JOIN provinces p ON p.code = s.province_code
            WHERE s.month BETWEEN :first AND :last
              AND (CAST(:province AS text) IS NULL OR s.province_code = :province)
            GROUP BY GROUPING SETS ((s.outcome), (s.province_code, s.outcome),
                                    (p.region, s.outcome), (s.month, s.outcome))
            """,
            self._params(first, last, province_code),
        )
        return [
            ConclusionSum(
                by=r.by,
                key=r.key,
                outcome=r.outcome,
                n=int(r.n),
                damage_n=int(r.damage_n),
                damage_thb=r.damage_thb,
                recovered_n=int(r.recovered_n),
                recovered_thb=r.recovered_thb,
            )
            for r in rows
        ]

    async def referral_counts(self, first: date, last: date) -> list[ReferralCount]:
        rows = await self._rows(
            "SELECT agency_code, month, status, n FROM stat_referrals"
            " WHERE month BETWEEN :first AND :last AND n <> 0",
            {"first": first, "last": last},
        )
        return [ReferralCount(r.agency_code, r.month, r.status, int(r.n)) for r in rows]

    async def volunteer_counts(self, province_code: str | None) -> list[VolunteerCount]:
        rows = await self._rows(
            "SELECT province_code, status, trained, sum(n) AS n FROM stat_volunteers"
            " WHERE CAST(:province AS text) IS NULL OR province_code = :province"
            " GROUP BY province_code, status, trained HAVING sum(n) <> 0",
            {"province": province_code},
        )
        return [VolunteerCount(r.province_code, r.status, r.trained, int(r.n)) for r in rows]

    async def volunteer_applications(
        self, first: date, last: date, province_code: str | None
    ) -> dict[date, int]:
        rows = await self._rows(
            "SELECT month, sum(n) AS n FROM stat_volunteers WHERE month BETWEEN :first AND :last"
            " AND (CAST(:province AS text) IS NULL OR province_code = :province)"
            " GROUP BY month HAVING sum(n) <> 0",
            self._params(first, last, province_code),
        )
        return {r.month: int(r.n) for r in rows}

    async def rebuild(self) -> None:
        await self._rows("SELECT stat_rebuild()", {})
