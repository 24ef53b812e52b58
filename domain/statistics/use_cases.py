"""Statistics: internal figures, the annual report and the public (suppressed) figures.

Reading counts changes nothing, so nothing is audited and nothing committed. Provincial
officers get their own province's figures; asking for another province is answered
like a record out of reach: not found.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal

from domain import policy
from domain.investigations.model import InvestigationOutcome
from domain.policy import Action, Principal, Scope
from domain.provinces.errors import ProvinceNotFound
from domain.provinces.model import Region, normalize_province_code
from domain.statistics.model import (
    AnnualReport,
    Counts,
    DeadlineCompliance,
    Durations,
    InvestigationStatistics,
    PublicCell,
    PublicRow,
    PublicStatistics,
    ReferralStatistics,
    TipStatistics,
    VolunteerStatistics,
    month_key,
    percentile,
)
from domain.statistics.periods import Period, current_fiscal_year
from domain.statistics.ports import ConclusionSum, GroupedCount, StatisticsUnitOfWork
from domain.statistics.suppression import THRESHOLD, Group, suppress


async def _province_in_scope(
    uow: StatisticsUnitOfWork, actor: Principal, action: Action, province_code: str | None
) -> str | None:
    """The province the figures are narrowed to (None: the whole country)."""
    scope = policy.require(actor, action)
    code = None
    if province_code is not None:
        code = normalize_province_code(province_code)
        if code is None or not await uow.provinces.exists(code):
            raise ProvinceNotFound(province_code)
    if scope is Scope.PROVINCE:
        if code is not None and code != actor.province_code:
            raise ProvinceNotFound(province_code or "")
        return actor.province_code
    return code


def _pick(rows: Iterable[GroupedCount], by: str, dimension: str) -> dict[str, Counts]:
    """{key: {value: n}} of one grouping and dimension."""
    found: dict[str, Counts] = defaultdict(dict)
    for row in rows:
        if row.by == by and row.dimension == dimension:
            found[row.key][row.value] = found[row.key].get(row.value, 0) + row.n
    return found


def _totals(rows: Iterable[GroupedCount], by: str, dimension: str) -> Counts:
    """{key: sum over the dimension's values}: with `status`, every record once."""
    return {key: sum(values.values()) for key, values in _pick(rows, by, dimension).items()}


def _compliance(by_state: Counts, pending: int, open_overdue: int) -> DeadlineCompliance:
    return DeadlineCompliance(
        met=by_state.get("met", 0),
        pending=pending,
        overdue=by_state.get("late", 0) + open_overdue,
    )


async def tip_statistics(
    uow: StatisticsUnitOfWork,
    *,
    actor: Principal,
    period: Period,
    province_code: str | None = None,
) -> TipStatistics:
    """Tips received in the period: by province, region, category, channel, status,
    outcome and month; deadline compliance and the times to acknowledge and to feed back."""
    code = await _province_in_scope(uow, actor, Action.STATISTICS_READ, province_code)
    repo = uow.statistics
    rows = await repo.tip_counts(period.first, period.last, code)
    opened = await repo.open_deadlines(period.first, period.last, code, uow.clock.now())
    ack, feedback = opened["ack"], opened["feedback"]
    times = await repo.durations(("ack_hours", "feedback_days"), period.first, period.last, code)
    return TipStatistics(
        period=period,
        province_code=code,
        total=sum(_pick(rows, "all", "status").get("", {}).values()),
        by_province=_totals(rows, "province", "status"),
        by_region=_totals(rows, "region", "status"),
        by_category=_pick(rows, "all", "category").get("", {}),
        by_channel=_pick(rows, "all", "channel").get("", {}),
        by_status=_pick(rows, "all", "status").get("", {}),
        by_outcome=_pick(rows, "all", "outcome").get("", {}),
        by_month=_totals(rows, "month", "status"),
        acknowledgement=_compliance(
            _pick(rows, "all", "ack").get("", {}), ack.pending, ack.overdue
        ),
        feedback=_compliance(
            _pick(rows, "all", "feedback").get("", {}), feedback.pending, feedback.overdue
        ),
        time_to_acknowledge=Durations.of("hours", times.get("ack_hours", {})),
        time_to_feedback=Durations.of("days", times.get("feedback_days", {})),
    )


def _conclusion_totals(sums: Iterable[ConclusionSum], by: str) -> dict[str, Counts]:
    found: dict[str, Counts] = defaultdict(dict)
    for row in sums:
        if row.by == by:
            found[row.key][row.outcome] = found[row.key].get(row.outcome, 0) + row.n
    return found


async def investigation_statistics(
    uow: StatisticsUnitOfWork,
    *,
    actor: Principal,
    period: Period,
    province_code: str | None = None,
) -> InvestigationStatistics:
    """Investigations opened in the period (by current status, by month) and concluded
    in it (by outcome, by month, how long they took, the amounts recorded)."""
    code = await _province_in_scope(uow, actor, Action.STATISTICS_READ, province_code)
    repo = uow.statistics
    rows = await repo.investigation_counts(period.first, period.last, code)
    sums = await repo.conclusions(period.first, period.last, code)
    overall = [s for s in sums if s.by == "all"]
    by_outcome = _conclusion_totals(sums, "all").get("", {})
    return InvestigationStatistics(
        period=period,
        province_code=code,
        opened=sum(_pick(rows, "all", "status").get("", {}).values()),
        opened_by_status=_pick(rows, "all", "status").get("", {}),
        opened_by_month=_totals(rows, "month", "status"),
        concluded=sum(by_outcome.values()),
        concluded_by_outcome=by_outcome,
        concluded_by_month={
            key: sum(v.values()) for key, v in _conclusion_totals(sums, "month").items()
        },
        duration=Durations.of(
            "days",
            (await repo.durations(("investigation_days",), period.first, period.last, code)).get(
                "investigation_days", {}
            ),
        ),
        damage_estimated_thb=sum((s.damage_thb for s in overall), Decimal(0)),
        damage_recorded=sum(s.damage_n for s in overall),
        amount_recovered_thb=sum((s.recovered_thb for s in overall), Decimal(0)),
        recovery_recorded=sum(s.recovered_n for s in overall),
    )


async def referral_statistics(
    uow: StatisticsUnitOfWork, *, actor: Principal, period: Period
) -> ReferralStatistics:
    """Referrals made in the period, by agency and current status, and by month."""
    policy.require(actor, Action.STATISTICS_NATIONAL_READ)
    rows = await uow.statistics.referral_counts(period.first, period.last)
    by_agency: dict[str, Counts] = defaultdict(dict)
    by_status: Counts = defaultdict(int)
    by_month: Counts = defaultdict(int)
    for row in rows:
        by_agency[row.agency_code][row.status] = by_agency[row.agency_code].get(row.status, 0) + (
            row.n
        )
        by_status[row.status] += row.n
        by_month[month_key(row.month)] += row.n
    return ReferralStatistics(
        period=period,
        total=sum(by_status.values()),
        by_agency=dict(by_agency),
        by_status=dict(by_status),
        by_month=dict(by_month),
    )


async def volunteer_statistics(
    uow: StatisticsUnitOfWork,
    *,
    actor: Principal,
    period: Period,
    province_code: str | None = None,
) -> VolunteerStatistics:
    """The registry now (by province and status; trained share of active volunteers)
    and the applications received per month of the period."""
    code = await _province_in_scope(uow, actor, Action.STATISTICS_READ, province_code)
    rows = await uow.statistics.volunteer_counts(code)
    by_status: Counts = defaultdict(int)
    by_province: Counts = defaultdict(int)
    for row in rows:
        by_status[row.status] += row.n
        by_province[row.province_code] += row.n
    applications = await uow.statistics.volunteer_applications(period.first, period.last, code)
    return VolunteerStatistics(
        period=period,
        province_code=code,
        total=sum(by_status.values()),
        by_status=dict(by_status),
        by_province=dict(by_province),
        trained=sum(r.n for r in rows if r.trained),
        active=sum(r.n for r in rows if r.status == "active"),
        active_trained=sum(r.n for r in rows if r.status == "active" and r.trained),
        applications_by_month={month_key(m): n for m, n in sorted(applications.items())},
    )


async def annual_report(
    uow: StatisticsUnitOfWork, *, actor: Principal, fiscal_year: int
) -> AnnualReport:
    """The figures of one Thai fiscal year, as EU Directive 2019/1937 Art. 27 lists them."""
    policy.require(actor, Action.STATISTICS_NATIONAL_READ)
    period = Period.fiscal_year(fiscal_year)
    repo = uow.statistics
    first, last = period.first, period.last
    tips = await repo.tip_counts(first, last, None)
    investigations = await repo.investigation_counts(first, last, None)
    sums = [s for s in await repo.conclusions(first, last, None) if s.by == "all"]
    referrals = await repo.referral_counts(first, last)
    outcomes = _conclusion_totals(sums, "all").get("", {})
    times = await repo.durations(
        ("ack_hours", "feedback_days", "investigation_days"), first, last, None
    )
    by_agency: Counts = defaultdict(int)
    for row in referrals:
        by_agency[row.agency_code] += row.n
    return AnnualReport(
        fiscal_year=fiscal_year,
        period=period,
        reports_received=sum(_pick(tips, "all", "status").get("", {}).values()),
        reports_by_channel=_pick(tips, "all", "channel").get("", {}),
        reports_by_category=_pick(tips, "all", "category").get("", {}),
        acknowledged_within_deadline=_pick(tips, "all", "ack").get("", {}).get("met", 0),
        feedback_within_deadline=_pick(tips, "all", "feedback").get("", {}).get("met", 0),
        investigations_opened=sum(_pick(investigations, "all", "status").get("", {}).values()),
        investigations_concluded=sum(outcomes.values()),
        outcomes=outcomes,
        referrals=sum(by_agency.values()),
        referrals_by_agency=dict(by_agency),
        prosecutions=sum(r.n for r in referrals if r.status == "prosecuted"),
        damage_estimated_thb=sum((s.damage_thb for s in sums), Decimal(0)),
        damage_recorded=sum(s.damage_n for s in sums),
        amount_recovered_thb=sum((s.recovered_thb for s in sums), Decimal(0)),
        recovery_recorded=sum(s.recovered_n for s in sums),
        median_hours_to_acknowledge=percentile(times.get("ack_hours", {}), 0.5),
        median_days_to_feedback=percentile(times.get("feedback_days", {}), 0.5),
        median_days_to_conclude=percentile(times.get("investigation_days", {}), 0.5),
    )


async def rebuild_statistics(uow: StatisticsUnitOfWork) -> None:
    """Recompute every summary from the raw rows (an operator's command after a bulk load
    that skipped triggers). Derived figures only: no record changes, nothing audited."""
    await uow.statistics.rebuild()
    await uow.commit()


#: The figures published to everyone, in order.
PUBLIC_MEASURES = ("received", "acknowledged_in_time", "concluded")


def public_table(
    *,
    provinces: dict[str, str],
    months: list[str],
    received: dict[str, Counts],
    acknowledged: dict[str, Counts],
    concluded: dict[str, Counts],
    outcomes: Counts,
    threshold: int = THRESHOLD,
) -> tuple[dict[str, dict[tuple[str, str], int | None]], dict[str, int | None]]:
    """Suppress the public tables. `provinces` maps code -> region; each measure gives
    {"province": {code: n}, "month": {month: n}}; outcomes are the national concluded
    investigations by outcome. Returns, per measure, {(kind, key): n or None}, and the
    outcomes (None where suppressed)."""
    regions = sorted({region for region in provinces.values()})
    published: dict[str, dict[tuple[str, str], int | None]] = {}
    national = ("total", "total")
    hidden_received: set[tuple[str, str]] = set()
    for measure, source in (
        ("received", received),
        ("acknowledged_in_time", acknowledged),
        ("concluded", concluded),
    ):
        values: dict[tuple[str, str], int] = {}
        for code in provinces:
            values["province", code] = source.get("province", {}).get(code, 0)
        for region in regions:
            members = [c for c, r in provinces.items() if r == region]
            values["region", region] = sum(values["province", c] for c in members)
        values[national] = sum(values["region", r] for r in regions)
        for month in months:
            values["month", month] = source.get("month", {}).get(month, 0)
        groups = [
            Group(
                ("region", region),
                tuple(("province", c) for c, r in sorted(provinces.items()) if r == region),
            )
            for region in regions
        ]
        groups.append(Group(national, tuple(("region", r) for r in regions)))
        if months:
            groups.append(Group(national, tuple(("month", m) for m in months)))
        if measure == "concluded":
            for outcome, n in outcomes.items():
                values["outcome", outcome] = n
            if outcomes:
                groups.append(Group(national, tuple(("outcome", o) for o in sorted(outcomes))))
        # Acknowledged in time is a part of received: hidden wherever received is.
        also = hidden_received if measure == "acknowledged_in_time" else set()
        hidden = suppress(values, groups, threshold=threshold, also=also)
        if measure == "received":
            hidden_received = hidden
        published[measure] = {
            cell: (None if cell in hidden else value) for cell, value in values.items()
        }
    outcome_cells = {
        outcome: published["concluded"]["outcome", outcome] for outcome in sorted(outcomes)
    }
    return published, outcome_cells


async def public_statistics(
    uow: StatisticsUnitOfWork, *, actor: Principal | None, fiscal_year: int | None = None
) -> PublicStatistics:
    """The public figures of a fiscal year (default: the current one, Bangkok calendar):
    tips received, acknowledged within the legal deadline, investigations concluded and
    their outcomes, by region, province and month, every count under 5 suppressed and
    enough others with it that no suppressed count can be worked out from the totals."""
    policy.require(actor, Action.STATISTICS_PUBLIC_READ)
    year = fiscal_year if fiscal_year is not None else current_fiscal_year(uow.clock.now())
    period = Period.fiscal_year(year)
    repo = uow.statistics
    provinces = {p.code: str(p.region) for p in await uow.provinces.list()}
    months = [month_key(m) for m in period.months]
    tips = await repo.tip_counts(period.first, period.last, None)
    sums = await repo.conclusions(period.first, period.last, None)
    received = {
        "province": _totals(tips, "province", "status"),
        "month": _totals(tips, "month", "status"),
    }
    acknowledged = {
        by: {key: counts.get("met", 0) for key, counts in _pick(tips, by, "ack").items()}
        for by in ("province", "month")
    }
    concluded = {
        by: {key: sum(v.values()) for key, v in _conclusion_totals(sums, by).items()}
        for by in ("province", "month")
    }
    outcomes = _conclusion_totals(sums, "all").get("", {})
    # Every outcome is published (zero included, suppressed like any small count).
    outcomes = {str(o): outcomes.get(str(o), 0) for o in InvestigationOutcome}
    published, outcome_cells = public_table(
        provinces=provinces,
        months=months,
        received=received,
        acknowledged=acknowledged,
        concluded=concluded,
        outcomes=outcomes,
    )

    def row(kind: str, key: str) -> PublicRow:
        return PublicRow(
            key=key,
            received=PublicCell(published["received"][kind, key]),
            acknowledged_in_time=PublicCell(published["acknowledged_in_time"][kind, key]),
            concluded=PublicCell(published["concluded"][kind, key]),
        )

    return PublicStatistics(
        period=period,
        fiscal_year=year,
        threshold=THRESHOLD,
        national=row("total", "total"),
        regions=[row("region", str(r)) for r in Region if str(r) in provinces.values()],
        provinces=[row("province", code) for code in sorted(provinces)],
        months=[row("month", m) for m in months],
        outcomes={k: PublicCell(v) for k, v in outcome_cells.items()},
        province_regions=provinces,
    )
