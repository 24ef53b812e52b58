"""The figures two ways: the summary path (triggers -> summary tables -> use cases)
against plain recounts over the raw rows (Bangkok time by the server's time zone
database, percentiles by `percentile_disc`), on a seeded data set."""

from __future__ import annotations

import asyncio
import importlib
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from api import cli
from api.settings import get_settings
from domain.clock import FrozenClock
from domain.policy import Principal, Role
from domain.provinces.errors import ProvinceNotFound
from domain.statistics import use_cases
from domain.statistics.periods import Period
from persistence.audit.repository import AUDIT_CHAIN_LOCK
from persistence.db import create_engine, create_session_factory
from persistence.uow import SqlUnitOfWork
from tests.statistics.seed import add_officer, add_tip, recount, seed_random

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
CENTRAL = Principal(account_id=uuid.uuid4(), role=Role.CENTRAL_OFFICER)
BKK = "(received_at AT TIME ZONE 'Asia/Bangkok')"
STAT_TABLES = (
    "stat_tip_counts",
    "stat_tip_open_deadlines",
    "stat_durations",
    "stat_investigations",
    "stat_conclusions",
    "stat_referrals",
    "stat_volunteers",
)


def uow_of(engine: AsyncEngine) -> SqlUnitOfWork:
    return SqlUnitOfWork(create_session_factory(engine), clock=FrozenClock(NOW))


def in_period(column: str, period: Period) -> str:
    local = f"({column} AT TIME ZONE 'Asia/Bangkok')"
    return f"{local} >= '{period.start}' AND {local} < '{period.end}'::date + 1"


async def counts(engine: AsyncEngine, sql: str, **params: Any) -> dict[str, int]:
    async with engine.connect() as conn:
        return {str(k): int(n) for k, n in await recount(conn, sql, **params)}


async def one(engine: AsyncEngine, sql: str, **params: Any) -> Any:
    async with engine.connect() as conn:
        return (await recount(conn, sql, **params))[0][0]


@pytest.fixture
async def seeded(db: AsyncEngine) -> AsyncEngine:
    async with db.begin() as conn:
        await seed_random(conn, now=NOW)
    return db


@pytest.mark.parametrize("fiscal_year", [2568, 2569])
@pytest.mark.parametrize("province", [None, "40"])
async def test_tip_figures_agree_with_a_recount(
    seeded: AsyncEngine, fiscal_year: int, province: str | None
) -> None:
    period = Period.fiscal_year(fiscal_year)
    async with uow_of(seeded) as uow:
        stats = await use_cases.tip_statistics(
            uow, actor=CENTRAL, period=period, province_code=province
        )
    where = in_period("received_at", period) + (
        f" AND province_code = '{province}'" if province else ""
    )
    tips = f"FROM tips WHERE {where}"
    assert stats.total == await one(seeded, f"SELECT count(*) {tips}")
    assert stats.total > 0
    for field, column in (
        ("by_category", "category"),
        ("by_channel", "channel"),
        ("by_status", "status"),
        ("by_province", "province_code"),
    ):
        expected = await counts(seeded, f"SELECT {column}, count(*) {tips} GROUP BY 1")
        assert getattr(stats, field) == expected, field
    assert stats.by_outcome == await counts(
        seeded,
        f"SELECT outcome, count(*) {tips} AND outcome IS NOT NULL GROUP BY 1",
    )
    assert stats.by_month == await counts(
        seeded,
        f"SELECT to_char({BKK}, 'YYYY-MM'), count(*) {tips} GROUP BY 1",
    )
    assert stats.by_region == await counts(
        seeded,
        "SELECT p.region, count(*) FROM tips t JOIN provinces p ON p.code = t.province_code"
        f" WHERE {where.replace('province_code', 't.province_code')} GROUP BY 1",
    )
    for name, done, due in (
        ("acknowledgement", "acknowledged_at", "ack_due_at"),
        ("feedback", "first_feedback_at", "feedback_due_at"),
    ):
        compliance = getattr(stats, name)
        assert compliance.met == await one(
            seeded,
            f"SELECT count(*) {tips} AND {done} <= {due}",
        )
        assert compliance.pending == await one(
            seeded,
            f"SELECT count(*) {tips} AND {done} IS NULL AND {due} >= :now",
            now=NOW,
        )
        assert compliance.overdue == await one(
            seeded,
            f"SELECT count(*) {tips} AND ({done} > {due} OR ({done} IS NULL AND {due} < :now))",
            now=NOW,
        )
    for durations, done, unit in (
        (stats.time_to_acknowledge, "acknowledged_at", 3600),
        (stats.time_to_feedback, "first_feedback_at", 86400),
    ):
        whole = f"floor(extract(epoch FROM {done} - received_at) / {unit})"
        median, p90, n = await recount_row(
            seeded,
            f"SELECT percentile_disc(0.5) WITHIN GROUP (ORDER BY {whole}),"
            f" percentile_disc(0.9) WITHIN GROUP (ORDER BY {whole}), count({done})"
            f" {tips} AND {done} IS NOT NULL",
        )
        assert (durations.median, durations.p90, durations.count) == (median, p90, n)


async def recount_row(engine: AsyncEngine, sql: str) -> tuple[Any, ...]:
    async with engine.connect() as conn:
        row = (await recount(conn, sql))[0]
    return tuple(int(v) if v is not None else None for v in row)


@pytest.mark.parametrize("fiscal_year", [2568, 2569])
async def test_investigation_referral_and_volunteer_figures_agree(
    seeded: AsyncEngine, fiscal_year: int
) -> None:
    period = Period.fiscal_year(fiscal_year)
    async with uow_of(seeded) as uow:
        inv = await use_cases.investigation_statistics(uow, actor=CENTRAL, period=period)
        ref = await use_cases.referral_statistics(uow, actor=CENTRAL, period=period)
        vol = await use_cases.volunteer_statistics(uow, actor=CENTRAL, period=period)
        report = await use_cases.annual_report(uow, actor=CENTRAL, fiscal_year=fiscal_year)
    opened = f"FROM investigations WHERE {in_period('created_at', period)}"
    concluded = f"FROM investigations WHERE {in_period('concluded_at', period)}"
    assert inv.opened_by_status == await counts(
        seeded, f"SELECT status, count(*) {opened} GROUP BY 1"
    )
    assert inv.concluded_by_outcome == await counts(
        seeded,
        f"SELECT outcome, count(*) {concluded} GROUP BY 1",
    )
    assert inv.concluded > 0
    damage = await one(seeded, f"SELECT coalesce(sum(damage_estimated_thb), 0) {concluded}")
    assert inv.damage_estimated_thb == Decimal(damage)
    assert report.amount_recovered_thb == Decimal(
        await one(seeded, f"SELECT coalesce(sum(amount_recovered_thb), 0) {concluded}")
    )
    days = "floor(extract(epoch FROM concluded_at - created_at) / 86400)"
    median, p90, _ = await recount_row(
        seeded,
        f"SELECT percentile_disc(0.5) WITHIN GROUP (ORDER BY {days}),"
        f" percentile_disc(0.9) WITHIN GROUP (ORDER BY {days}), 0 {concluded}",
    )
    assert (inv.duration.median, inv.duration.p90) == (median, p90)
    assert report.median_days_to_conclude == median
    referrals = f"FROM referrals WHERE {in_period('created_at', period)}"
    assert ref.by_status == await counts(seeded, f"SELECT status, count(*) {referrals} GROUP BY 1")
    assert report.prosecutions == ref.by_status.get("prosecuted", 0)
    assert vol.by_status == await counts(
        seeded, "SELECT status, count(*) FROM volunteers GROUP BY 1"
    )
    assert vol.trained == await one(
        seeded, "SELECT count(*) FROM volunteers WHERE trainings_count > 0"
    )
    assert sum(vol.applications_by_month.values()) == await one(
        seeded,
        f"SELECT count(*) FROM volunteers WHERE {in_period('applied_at', period)}",
    )


async def test_a_rebuild_gives_what_the_triggers_kept(seeded: AsyncEngine) -> None:
    async def snapshot() -> dict[str, set[tuple[Any, ...]]]:
        found = {}
        async with seeded.connect() as conn:
            for table in STAT_TABLES:
                rows = await recount(conn, f"SELECT * FROM {table}")
                # Rows whose every measure went back to 0 are kept by the triggers.
                found[table] = {tuple(r) for r in rows if any(v != 0 for v in r[-1:])}
        return found

    before = await snapshot()
    async with seeded.begin() as conn:
        await conn.execute(text("SELECT stat_rebuild()"))
    assert await snapshot() == before
    assert all(before.values())


async def test_months_and_fiscal_years_follow_bangkok_time(db: AsyncEngine) -> None:
    async with db.begin() as conn:
        await add_officer(conn)
        for at in (
            "2025-09-30T16:59:00+00:00",  # 23:59 on 30 September in Bangkok: FY2568
            "2025-09-30T17:30:00+00:00",  # 00:30 on 1 October in Bangkok: FY2569
            "2026-09-30T16:30:00+00:00",  # 23:30 on 30 September 2026: FY2569
            "2026-09-30T17:00:00+00:00",  # 00:00 on 1 October 2026: FY2570
        ):
            await add_tip(conn, province="40", received_at=datetime.fromisoformat(at))
    async with uow_of(db) as uow:
        fy = {
            year: await use_cases.tip_statistics(
                uow, actor=CENTRAL, period=Period.fiscal_year(year)
            )
            for year in (2568, 2569, 2570)
        }
        calendar = await use_cases.tip_statistics(
            uow, actor=CENTRAL, period=Period.calendar_year(2568)
        )
    assert fy[2568].by_month == {"2025-09": 1}
    assert fy[2569].by_month == {"2025-10": 1, "2026-09": 1}
    assert fy[2570].by_month == {"2026-10": 1}
    assert calendar.total == 2  # 2025 CE: both September and October 2025


async def test_provincial_officers_get_their_own_province_only(seeded: AsyncEngine) -> None:
    officer = Principal(account_id=uuid.uuid4(), role=Role.PROVINCIAL_OFFICER, province_code="40")
    period = Period.fiscal_year(2569)
    async with uow_of(seeded) as uow:
        own = await use_cases.tip_statistics(uow, actor=officer, period=period)
        assert own.province_code == "40"
        assert set(own.by_province) == {"40"}
        with pytest.raises(ProvinceNotFound):
            await use_cases.tip_statistics(uow, actor=officer, period=period, province_code="10")


def test_the_triggers_take_the_audit_chains_lock() -> None:
    migration = importlib.import_module(
        "persistence.migrations.versions.2026_11_26_0017_statistics"
    )
    assert migration.AUDIT_CHAIN_LOCK == AUDIT_CHAIN_LOCK


async def test_a_hot_summary_row_and_the_audit_lock_cannot_deadlock(db: AsyncEngine) -> None:
    """A writes a tip (summary rows of this month locked) and audits later; B audits first
    (the chain's lock) and then updates a tip of the same month. Without the triggers
    taking the audit lock first, B would wait for A's summary row while holding the lock
    A waits for: a deadlock, one of them refused."""
    received = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)
    async with db.begin() as conn:
        other = await add_tip(conn, province="40", received_at=received)
    lock = text("SELECT pg_advisory_xact_lock(:key)").bindparams(key=AUDIT_CHAIN_LOCK)
    async with db.connect() as a, db.connect() as b:
        await a.begin()
        await add_tip(a, province="40", received_at=received)  # summary rows of Nov 2026
        await b.begin()
        b_pid = (await b.execute(text("SELECT pg_backend_pid()"))).scalar()

        async def b_audits_then_writes() -> None:
            await b.execute(lock)
            await b.execute(
                text("UPDATE tips SET acknowledged_at = received_at WHERE id = :id"),
                {"id": other},
            )
            await b.commit()

        task = asyncio.create_task(b_audits_then_writes())
        async with db.connect() as watch:
            deadline = asyncio.get_running_loop().time() + 20
            while (
                await watch.execute(
                    text("SELECT wait_event_type FROM pg_stat_activity WHERE pid = :pid"),
                    {"pid": b_pid},
                )
            ).scalar() != "Lock":
                assert asyncio.get_running_loop().time() < deadline, "B never waited"
                await asyncio.sleep(0.02)
        await a.execute(lock)  # A's audit entry
        await a.commit()
        await asyncio.wait_for(task, timeout=20)
    async with uow_of(db) as uow:
        stats = await use_cases.tip_statistics(uow, actor=CENTRAL, period=Period.fiscal_year(2570))
    assert stats.total == 2
    assert stats.acknowledgement.met == 1


async def test_pending_and_overdue_split_at_the_hour_asked(db: AsyncEngine) -> None:
    """Deadlines falling due today (Bangkok) are split by the time of the question
    (NOW is 16:00 in Bangkok)."""
    async with db.begin() as conn:
        await add_officer(conn)
        for received in (
            datetime(2026, 11, 18, 8, 0, tzinfo=UTC),  # due yesterday: overdue
            datetime(2026, 11, 19, 8, 0, tzinfo=UTC),  # due today 15:00 Bangkok: overdue
            datetime(2026, 11, 19, 10, 0, tzinfo=UTC),  # due today 17:00 Bangkok: pending
            datetime(2026, 11, 25, 8, 0, tzinfo=UTC),  # due next week: pending
        ):
            await add_tip(conn, province="40", received_at=received)
        await add_tip(
            conn,
            province="40",
            received_at=datetime(2026, 11, 19, 9, 0, tzinfo=UTC),
            acknowledged_at=datetime(2026, 11, 20, 9, 0, tzinfo=UTC),  # met
        )
    for province in (None, "40"):
        async with uow_of(db) as uow:
            stats = await use_cases.tip_statistics(
                uow, actor=CENTRAL, period=Period.fiscal_year(2570), province_code=province
            )
        ack = stats.acknowledgement
        assert (ack.met, ack.pending, ack.overdue) == (1, 2, 2)
        assert (stats.feedback.met, stats.feedback.pending, stats.feedback.overdue) == (0, 5, 0)


def test_the_cli_rebuilds_what_a_bulk_load_skipped(
    db: AsyncEngine, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A plain (sync) test: the CLI runs its own event loop, like `python -m api.cli`; the
    # checks use engines of their own loops.
    async def bulk_load() -> None:
        engine = create_engine(database_url, pool_size=1)
        try:
            async with engine.begin() as conn:
                await conn.execute(text("SET LOCAL session_replication_role = replica"))
                await add_tip(conn, province="40", received_at=datetime(2026, 1, 5, tzinfo=UTC))
        finally:
            await engine.dispose()

    async def total() -> int:
        engine = create_engine(database_url, pool_size=1)
        try:
            async with uow_of(engine) as uow:
                stats = await use_cases.tip_statistics(
                    uow, actor=CENTRAL, period=Period.fiscal_year(2569)
                )
        finally:
            await engine.dispose()
        return stats.total

    asyncio.run(bulk_load())
    assert asyncio.run(total()) == 0  # the triggers were skipped
    monkeypatch.setenv("DATABASE_URL", database_url)
    get_settings.cache_clear()
    try:
        assert cli.main(["rebuild-statistics"]) == 0
    finally:
        get_settings.cache_clear()
    assert asyncio.run(total()) == 1
