"""Statistics at scale (issue 14): seed N tips with SQL, then time every statistics call.

    .venv/bin/python -m bench.statistics_latency --url postgresql+asyncpg://postgres@127.0.0.1:5432/DB \\
        --tips 1000000

The database's `public` schema is DROPPED and rebuilt (migrations to head): give it a
scratch database. Tips, investigations, referrals and volunteers are written by
`INSERT ... SELECT generate_series` in chunks with the statistics triggers active (so
the load also shows what the triggers cost on bulk writes); then each use case runs
`--runs` times through the service's own unit of work and the response schema
(everything a request does but HTTP and authentication), and the median, p90 and worst
times are printed. Prints numbers; asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import text

from api.settings import Settings
from api.statistics.public import public_document
from api.statistics.schemas import (
    AnnualReportPublic,
    InvestigationStatisticsPublic,
    ReferralStatisticsPublic,
    TipStatisticsPublic,
    VolunteerStatisticsPublic,
)
from domain.clock import FrozenClock
from domain.policy import Principal, Role
from domain.statistics import use_cases as uc
from domain.statistics.periods import Period
from persistence.db import create_engine, create_session_factory
from persistence.migrate import upgrade_to_head
from persistence.uow import SqlUnitOfWork

NOW = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)
CHUNK = 100_000
OFFICER = "00000000-0000-0000-0000-0000000bea7c"

TIPS = """
INSERT INTO tips (id, reference, province_code, category, channel, status, outcome,
                  received_at, ack_due_at, feedback_due_at, acknowledged_at,
                  first_feedback_at, closed_at, description, version)
SELECT gen_random_uuid(), 'B-' || g, p.code, c.category, ch.channel, s.status,
       CASE WHEN s.status = 'closed' THEN (ARRAY['substantiated', 'unsubstantiated',
            'referred', 'insufficient_information', 'duplicate', 'out_of_scope'])[1 + g % 6]
       END,
       r.at, r.at + interval '7 days', r.at + interval '3 months 7 days',
       CASE WHEN s.status <> 'received' THEN r.at + (g % 240) * interval '1 hour' END,
       CASE WHEN s.status IN ('in_review', 'investigating', 'closed')
            THEN r.at + (g % 120) * interval '1 day' END,
       CASE WHEN s.status = 'closed' THEN r.at + (g % 120) * interval '1 day' END,
       '\\x00'::bytea, 1
FROM generate_series(CAST(:lo AS bigint), CAST(:hi AS bigint)) AS g
CROSS JOIN LATERAL (SELECT code FROM provinces ORDER BY code
                    OFFSET (g * 7919) % 77 LIMIT 1) AS p
CROSS JOIN LATERAL (SELECT (ARRAY['bribery', 'extortion', 'embezzlement', 'procurement_fraud',
    'abuse_of_authority', 'illegal_recruitment_fees', 'fund_fraud', 'conflict_of_interest',
    'other'])[1 + g % 9] AS category) AS c
CROSS JOIN LATERAL (SELECT (ARRAY['web', 'mobile', 'hotline', 'walk_in'])[1 + (g / 9) % 4]
                    AS channel) AS ch
CROSS JOIN LATERAL (SELECT (ARRAY['received', 'acknowledged', 'in_review', 'investigating',
    'closed', 'closed', 'closed'])[1 + (g / 36) % 7] AS status) AS s
CROSS JOIN LATERAL (SELECT timestamptz '2024-11-26 00:00+00'
                    + ((g * 104729) % (730 * 86400)) * interval '1 second' AS at) AS r
"""

INVESTIGATIONS = """
INSERT INTO investigations (id, reference, lead_province_code, priority, status, outcome,
                            created_at, created_by, updated_at, concluded_at, title, version,
                            damage_estimated_thb, amount_recovered_thb)
SELECT gen_random_uuid(), 'BI-' || g, lpad((10 + g % 87)::text, 2, '0'), 'normal',
       CASE WHEN g % 3 = 0 THEN 'in_progress' ELSE 'concluded' END,
       CASE WHEN g % 3 <> 0 THEN (ARRAY['substantiated', 'unsubstantiated', 'referred',
            'insufficient_evidence'])[1 + g % 4] END,
       r.at, :officer, r.at, CASE WHEN g % 3 <> 0 THEN r.at + (g % 200) * interval '1 day' END,
       '\\x00'::bytea, 1,
       CASE WHEN g % 3 <> 0 AND g % 2 = 0 THEN (g % 100000)::numeric END,
       CASE WHEN g % 3 <> 0 AND g % 5 = 0 THEN (g % 5000)::numeric END
FROM generate_series(CAST(:lo AS bigint), CAST(:hi AS bigint)) AS g
CROSS JOIN LATERAL (SELECT timestamptz '2024-11-26 00:00+00'
                    + ((g * 7727) % (700 * 86400)) * interval '1 second' AS at) AS r
WHERE lpad((10 + g % 87)::text, 2, '0') IN (SELECT code FROM provinces)
"""

REFERRALS = """
INSERT INTO referrals (id, investigation_id, agency_code, status, summary, created_at,
                       created_by, updated_at, version)
SELECT gen_random_uuid(), i.id, (ARRAY['NACC', 'PACC', 'DSI'])[1 + abs(hashtext(i.reference)) % 3],
       (ARRAY['referred', 'accepted', 'in_progress', 'prosecuted', 'closed'])
       [1 + abs(hashtext(i.reference)) % 5], '\\x00'::bytea, i.concluded_at, :officer,
       i.concluded_at, 1
FROM investigations i WHERE i.outcome = 'referred'
"""

VOLUNTEERS = """
INSERT INTO volunteers (id, full_name_th, province_code, status, trainings_count,
                        applied_at, created_at, updated_at, version)
SELECT gen_random_uuid(), 'อาสา ' || g, p.code,
       (ARRAY['applied', 'active', 'active', 'active', 'rejected', 'suspended', 'retired'])
       [1 + g % 7], g % 3, r.at, r.at, r.at, 1
FROM generate_series(1, CAST(:n AS bigint)) AS g
CROSS JOIN LATERAL (SELECT code FROM provinces ORDER BY code OFFSET g % 77 LIMIT 1) AS p
CROSS JOIN LATERAL (SELECT timestamptz '2024-11-26 00:00+00'
                    + ((g * 4421) % (730 * 86400)) * interval '1 second' AS at) AS r
"""


def log(message: str) -> None:
    print(message, flush=True)


async def seed(url: str, tips: int) -> None:
    engine = create_engine(url, pool_size=2)
    async with engine.begin() as conn:
        await conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        await conn.execute(text("CREATE SCHEMA public"))
    await upgrade_to_head(engine)
    began = time.perf_counter()
    async with engine.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO accounts (id, username, display_name, role, is_active,"
                " must_change_password, failed_logins, created_at, updated_at, version)"
                " VALUES (:id, 'bench-stats', 'Bench', 'central_officer', true, false, 0,"
                " now(), now(), 1)"
            ),
            {"id": uuid.UUID(OFFICER)},
        )
    for lo in range(1, tips + 1, CHUNK):
        hi = min(tips, lo + CHUNK - 1)
        async with engine.begin() as conn:
            await conn.execute(text("SET LOCAL synchronous_commit = off"))
            await conn.execute(text(TIPS), {"lo": lo, "hi": hi})
        log(f"  {hi} tips ({time.perf_counter() - began:.0f} s, triggers active)")
    async with engine.begin() as conn:
        await conn.execute(
            text(INVESTIGATIONS), {"lo": 1, "hi": tips // 20, "officer": uuid.UUID(OFFICER)}
        )
        await conn.execute(text(REFERRALS), {"officer": uuid.UUID(OFFICER)})
        await conn.execute(text(VOLUNTEERS), {"n": max(1000, tips // 50)})
    async with engine.connect() as conn:
        await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.execute(text("VACUUM (ANALYZE)"))
        rows = {
            table: (await conn.execute(text(f"SELECT count(*) FROM {table}"))).scalar()
            for table in ("tips", "investigations", "referrals", "volunteers")
        } | {
            table: (await conn.execute(text(f"SELECT count(*) FROM {table}"))).scalar()
            for table in ("stat_tip_counts", "stat_durations", "stat_tip_open_deadlines")
        }
    log(f"seeded in {time.perf_counter() - began:.0f} s: {rows}")
    await engine.dispose()


async def measure(url: str, runs: int) -> None:
    engine = create_engine(url, pool_size=2)
    sessions = create_session_factory(engine)
    clock = FrozenClock(NOW)
    central = Principal(account_id=uuid.uuid4(), role=Role.CENTRAL_OFFICER)
    fy = Period.fiscal_year(2569)
    settings = Settings(environment="test", database_url=url)

    async def public() -> bytes:
        async with SqlUnitOfWork(sessions, clock=clock) as uow:
            stats = await uc.public_statistics(uow, actor=None, fiscal_year=2569)
            doc = public_document(stats, await uow.provinces.list(), settings)
            return doc.model_dump_json().encode()

    def call(fn: Callable[[SqlUnitOfWork], Awaitable[Any]]) -> Callable[[], Awaitable[Any]]:
        async def run() -> Any:
            async with SqlUnitOfWork(sessions, clock=clock) as uow:
                return await fn(uow)

        return run

    calls: dict[str, Callable[[], Awaitable[Any]]] = {
        "tips (national, FY2569)": call(
            lambda u: _dump(TipStatisticsPublic, uc.tip_statistics(u, actor=central, period=fy))
        ),
        "tips (province 40, FY2569)": call(
            lambda u: _dump(
                TipStatisticsPublic,
                uc.tip_statistics(u, actor=central, period=fy, province_code="40"),
            )
        ),
        "tips (national, 2 calendar years)": call(
            lambda u: _dump(
                TipStatisticsPublic,
                uc.tip_statistics(
                    u, actor=central, period=Period.between(fy.start.replace(year=2024), fy.end)
                ),
            )
        ),
        "investigations (FY2569)": call(
            lambda u: _dump(
                InvestigationStatisticsPublic,
                uc.investigation_statistics(u, actor=central, period=fy),
            )
        ),
        "referrals (FY2569)": call(
            lambda u: _dump(
                ReferralStatisticsPublic, uc.referral_statistics(u, actor=central, period=fy)
            )
        ),
        "volunteers (FY2569)": call(
            lambda u: _dump(
                VolunteerStatisticsPublic, uc.volunteer_statistics(u, actor=central, period=fy)
            )
        ),
        "annual report (FY2569)": call(
            lambda u: _dump(
                AnnualReportPublic, uc.annual_report(u, actor=central, fiscal_year=2569)
            )
        ),
        "public statistics (FY2569, uncached)": public,
    }
    log(f"{'call':40} {'median ms':>10} {'p90 ms':>8} {'max ms':>8}  ({runs} runs each)")
    for name, fn in calls.items():
        await fn()  # warm the pool and the caches
        times = []
        for _ in range(runs):
            started = time.perf_counter()
            await fn()
            times.append((time.perf_counter() - started) * 1000)
        times.sort()
        p90 = times[min(len(times) - 1, int(0.9 * len(times)))]
        log(f"{name:40} {statistics.median(times):10.1f} {p90:8.1f} {times[-1]:8.1f}")

    # One tip written with the triggers, as the intake does (insert + commit).
    writes = []
    stamp = int(time.time()) % 10**8 * 100
    for i in range(runs):
        async with engine.begin() as conn:
            started = time.perf_counter()
            await conn.execute(
                text(TIPS.replace("'B-' || g", "'W-' || g")),
                {"lo": 10**9 + stamp + i, "hi": 10**9 + stamp + i},
            )
        writes.append((time.perf_counter() - started) * 1000)
    log(f"{'one tip inserted (triggers, commit)':40} {statistics.median(writes):10.1f}")
    await engine.dispose()


async def _dump(schema: Any, result: Awaitable[Any]) -> bytes:
    body: bytes = schema.of(await result).model_dump_json().encode()
    return body


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", required=True)
    parser.add_argument("--tips", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--no-seed", action="store_true", help="measure the seeded database")
    args = parser.parse_args()
    if not args.no_seed:
        asyncio.run(seed(args.url, args.tips))
    asyncio.run(measure(args.url, args.runs))


if __name__ == "__main__":
    main()
