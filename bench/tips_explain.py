"""EXPLAIN ANALYZE of the tips list queries on ~1M generated tips.

    .venv/bin/python bench/tips_explain.py \
        --url postgresql+asyncpg://postgres@127.0.0.1:5432/duangta_tips_bench --rows 1000000

The database's public schema is DROPPED and rebuilt (never point this at real data or
at the CI database `test`). Tips are generated in SQL (sealed columns hold dummy bytes):
two years of receipts over the 77 provinces, 3% recused, most acknowledged (some late),
most older tips closed. Then every list filter is explained with the repository's own
statement, and the timings are printed. This reports numbers; it asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import time
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from domain.pagination import Cursor, PageRequest
from domain.tips.access import TipVisibility
from domain.tips.deadlines import OverdueKind
from domain.tips.model import TipCategory, TipStatus
from domain.tips.ports import TipQuery
from persistence.crypto import development_keyring
from persistence.db import create_engine, create_session_factory
from persistence.migrate import upgrade_to_head
from persistence.tips.repository import RECEIPT_PURPOSE, SqlTipRepository

DEEP_PAGE = "central, page after 5000 rows (cursor)"

GENERATE = """
WITH codes AS (SELECT array_agg(code ORDER BY code) AS a FROM provinces)
INSERT INTO tips (
    id, reference, province_code, recused_province_code, category, channel, status, outcome,
    received_at, ack_due_at, feedback_due_at, acknowledged_at, first_feedback_at, closed_at,
    description, reporter_hash, receipt_hash, version
)
SELECT
    gen_random_uuid(),
    'TIP-B-' || lpad(g::text, 8, '0'),
    b.prov,
    CASE WHEN b.r_recused < 0.03 THEN b.prov END,
    (ARRAY['bribery','extortion','embezzlement','procurement_fraud','abuse_of_authority',
           'illegal_recruitment_fees','fund_fraud','conflict_of_interest','other'])
        [1 + floor(b.r_cat * 9)::int],
    (ARRAY['web','mobile','hotline','walk_in'])[1 + floor(b.r_chan * 4)::int],
    CASE WHEN a.ack_at IS NULL THEN 'received'
         WHEN c.closed_at IS NOT NULL THEN 'closed'
         WHEN b.r_status < 0.5 THEN 'in_review' ELSE 'acknowledged' END,
    CASE WHEN c.closed_at IS NOT NULL THEN 'unsubstantiated' END,
    b.received_at,
    b.received_at + interval '7 days',
    COALESCE(a.ack_at, b.received_at + interval '7 days') + interval '3 months',
    a.ack_at,
    COALESCE(c.closed_at, f.feedback_at),
    c.closed_at,
    '\\x00'::bytea,
    CASE WHEN b.r_reporter < 0.05 THEN md5('reporter' || (g % 20000)::text) || md5('x') END,
    CASE WHEN b.r_reporter >= 0.05 THEN md5('r' || g::text) || md5('s' || g::text) END,
    1
FROM generate_series(1, :rows) AS g
CROSS JOIN codes
CROSS JOIN LATERAL (
    SELECT codes.a[1 + floor(random() * 77)::int] AS prov,
           now() - random() * interval '730 days' + (g * 0) * interval '1 second' AS received_at,
           random() AS r_recused, random() AS r_cat, random() AS r_chan, random() AS r_status,
           random() AS r_ack, random() AS r_ack_delay, random() AS r_close,
           random() AS r_close_delay, random() AS r_fb, random() AS r_reporter
) AS b
CROSS JOIN LATERAL (
    SELECT CASE WHEN ack < now() THEN ack END AS ack_at FROM (
        SELECT CASE WHEN b.r_ack < 0.97 THEN b.received_at + b.r_ack_delay * interval '9 days'
               END AS ack) AS x
) AS a
CROSS JOIN LATERAL (
    SELECT CASE WHEN done < now() THEN done END AS closed_at FROM (
        SELECT CASE WHEN a.ack_at IS NOT NULL AND b.r_close < 0.85
               THEN a.ack_at + b.r_close_delay * interval '120 days' END AS done) AS y
) AS c
CROSS JOIN LATERAL (
    SELECT CASE WHEN fb < now() THEN fb END AS feedback_at FROM (
        SELECT CASE WHEN a.ack_at IS NOT NULL AND b.r_fb < 0.9
               THEN a.ack_at + b.r_fb * interval '100 days' END AS fb) AS z
) AS f
"""


async def rebuild(engine: AsyncEngine, rows: int) -> None:
    async with engine.begin() as conn:
        await conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        await conn.execute(text("CREATE SCHEMA public"))
    await upgrade_to_head(engine)
    started = time.perf_counter()
    async with engine.begin() as conn:
        await conn.execute(text(GENERATE), {"rows": rows})
    print(f"generated {rows} tips in {time.perf_counter() - started:.1f} s")
    async with engine.connect() as conn:
        await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.execute(text("VACUUM ANALYZE tips"))


async def explain(engine: AsyncEngine) -> None:
    keyring = development_keyring()
    now = datetime.now(UTC)
    async with engine.connect() as conn:
        stats = (
            await conn.execute(
                text(
                    "SELECT count(*), count(*) FILTER (WHERE recused_province_code IS NOT NULL),"
                    " count(*) FILTER (WHERE acknowledged_at IS NULL AND ack_due_at < now()"
                    "   OR acknowledged_at > ack_due_at),"
                    " count(*) FILTER (WHERE first_feedback_at IS NULL AND feedback_due_at < now()"
                    "   OR first_feedback_at > feedback_due_at),"
                    " pg_size_pretty(pg_total_relation_size('tips')) FROM tips"
                )
            )
        ).one()
        print(
            f"tips={stats[0]} recused={stats[1]} ack_breaches={stats[2]} "
            f"feedback_breaches={stats[3]} size={stats[4]}"
        )
        row = (
            await conn.execute(
                text(
                    "SELECT received_at, id FROM tips ORDER BY received_at DESC, id DESC "
                    "OFFSET 5000 LIMIT 1"
                )
            )
        ).one()
        deep = Cursor(at=row[0], id=row[1])
        reporter = (
            await conn.execute(
                text("SELECT reporter_hash FROM tips WHERE reporter_hash IS NOT NULL LIMIT 1")
            )
        ).scalar_one()

    everything = TipVisibility(everything=True)
    khon_kaen = TipVisibility(province_code="40")
    month = now - timedelta(days=400)
    cases: list[tuple[str, TipQuery, TipVisibility]] = [
        ("central, first page", TipQuery(), everything),
        (DEEP_PAGE, TipQuery(), everything),
        ("provincial officer 40 (recusal applied)", TipQuery(), khon_kaen),
        ("provincial 40, status=received", TipQuery(status=TipStatus.RECEIVED), khon_kaen),
        ("central, status=in_review", TipQuery(status=TipStatus.IN_REVIEW), everything),
        ("central, category=fund_fraud", TipQuery(category=TipCategory.FUND_FRAUD), everything),
        ("central, province_code=10", TipQuery(province_code="10"), everything),
        (
            "central, received_from/to one month",
            TipQuery(received_from=month, received_to=month + timedelta(days=30)),
            everything,
        ),
        ("central, overdue=ack", TipQuery(overdue=OverdueKind.ACK), everything),
        ("central, overdue=feedback", TipQuery(overdue=OverdueKind.FEEDBACK), everything),
        ("provincial 40, overdue=ack", TipQuery(overdue=OverdueKind.ACK), khon_kaen),
        (
            "central, overdue=ack & status=received",
            TipQuery(overdue=OverdueKind.ACK, status=TipStatus.RECEIVED),
            everything,
        ),
        (
            "volunteer: own tips (reporter_hash)",
            TipQuery(),
            TipVisibility(reporter_id=uuid.uuid4()),
        ),
    ]
    factory = create_session_factory(engine)
    async with factory() as session, engine.connect() as conn:
        repository = SqlTipRepository(session, keyring)
        for title, query, view in cases:
            page = PageRequest(after=deep) if title == DEEP_PAGE else PageRequest[Cursor]()
            sql, values = repository.list_sql(query, view, page=page, now=now)
            if view.reporter_id is not None:  # a hash that exists in the generated data
                values = [reporter if isinstance(v, str) and len(v) == 64 else v for v in values]
            await run_explain(conn, title, sql, tuple(values))
        digest = keyring.keyed_hash("0" * 20, purpose=RECEIPT_PURPOSE)
        await run_explain(
            conn,
            "follow-up: receipt lookup (miss)",
            "SELECT * FROM tips WHERE receipt_hash = $1",
            (digest,),
        )


async def run_explain(
    conn: AsyncConnection, title: str, sql: str, params: tuple[object, ...]
) -> None:
    for _ in range(2):  # warm the cache, report the second run
        result = await conn.exec_driver_sql(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", params)
        plan = result.all()
    print(f"\n=== {title}")
    for (line,) in plan:
        print(line)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--url", default="postgresql+asyncpg://postgres@127.0.0.1:5432/duangta_tips_bench"
    )
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--skip-generate", action="store_true")
    args = parser.parse_args()
    if args.url.rsplit("/", 1)[-1] == "test":
        raise SystemExit("refusing to use the CI database 'test'")
    engine = create_engine(args.url, pool_size=1)
    try:
        if not args.skip_generate:
            await rebuild(engine, args.rows)
        await explain(engine)
    finally:
        await engine.dispose()


if __name__ == "__main__":
    asyncio.run(main())
