"""EXPLAIN ANALYZE every audit-log filter on a million entries (a report, not a test).

    .venv/bin/python -m bench.audit_indexes [--url postgresql+asyncpg://...] [--rows 1000000]

Uses its own database (default `duangta_audit_bench` on 127.0.0.1:5432, created if
missing), migrates it, fills `audit_log` with generated entries in SQL (hashes are fake:
this measures plans, not the chain), then explains the exact statements the repository
sends (`persistence.audit.repository.page_sql` / `export_sql`), planned for their
actual values as the repository asks (`plan_cache_mode = force_custom_plan`).
"""

from __future__ import annotations

import argparse
import asyncio
import re
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine

from domain.audit.model import AuditFilter
from persistence.audit.repository import export_sql, page_sql
from persistence.db import create_engine
from persistence.migrate import upgrade_to_head

DEFAULT_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/duangta_audit_bench"
START = datetime(2025, 11, 25, tzinfo=UTC)

FILL = """
INSERT INTO audit_log (seq, occurred_at, actor_id, actor_role, action, entity_type,
                       entity_id, province_code, request_id, details, prev_hash, hash)
SELECT g,
       CAST(:start AS timestamptz)
           + g * (CAST(:span AS float8) / CAST(:rows AS int)) * interval '1 second',
       CASE WHEN r1 < 0.10 THEN 'anonymous' WHEN r1 < 0.12 THEN 'system'
            ELSE 'acct-' || floor(r2 * r2 * 2000)::int END,
       CASE WHEN r1 < 0.12 THEN NULL ELSE 'provincial_officer' END,
       a.action,
       a.entity_type,
       a.entity_type || '-' || floor(r3 * 200000)::int,
       CASE WHEN r4 < 0.1 THEN NULL
            ELSE (ARRAY['10','11','12','13','20','21','30','31','34','40','41','50','57',
                        '65','80','83','90','96'])[1 + floor(r4 * r4 * 18)::int] END,
       md5(g::text),
       jsonb_build_object('n', g % 7),
       encode(sha256((g - 1)::text::bytea), 'hex'),
       encode(sha256(g::text::bytea), 'hex')
FROM (SELECT g, random() r1, random() r2, random() r3, random() r4, random() r5
      FROM generate_series(1, CAST(:rows AS int)) g) s
JOIN LATERAL (
    SELECT (ARRAY['tip.viewed','tip.viewed','tip.viewed','tip.created','tip.created',
                  'tip.status.changed','tip.assigned','auth.login_succeeded',
                  'auth.login_succeeded','auth.login_failed','volunteer.applied',
                  'volunteer.approved','investigation.opened','user.created',
                  'user.role_changed','investigation.closed','auth.locked',
                  'audit.exported'])[1 + floor(s.r5 * s.r5 * 18)::int] AS action
) x ON true
JOIN LATERAL (
    SELECT x.action,
           CASE split_part(x.action, '.', 1)
               WHEN 'tip' THEN 'tip' WHEN 'auth' THEN 'account' WHEN 'user' THEN 'account'
               WHEN 'audit' THEN 'audit_log' ELSE split_part(x.action, '.', 1) END
               AS entity_type
) a ON true
"""


Statement = tuple[str, list[Any]]


def cases(rows: int) -> list[tuple[str, Statement]]:
    end = START + timedelta(days=365)

    def page(before: int | None = None, **criteria: Any) -> Statement:
        return page_sql(AuditFilter.build(**criteria), before_seq=before, limit=51)

    return [
        ("no filter", page()),
        ("no filter, deep cursor", page(before=rows // 3)),
        ("actor: frequent (anonymous)", page(actor_id="anonymous")),
        ("actor: rare account", page(actor_id="acct-1999")),
        ("actor: rare, deep cursor", page(before=rows // 3, actor_id="acct-1999")),
        ("action: exact, frequent", page(action="tip.viewed")),
        ("action: exact, rare", page(action="audit.exported")),
        ("action: exact, absent", page(action="auth.password_reset")),
        ("action prefix: tip.", page(action="tip.")),
        ("action prefix: user.", page(action="user.")),
        ("action prefix: tip.status.", page(action="tip.status.")),
        ("entity type + id", page(entity_type="tip", entity_id="tip-4242")),
        ("entity type only (rare)", page(entity_type="audit_log")),
        ("province: frequent (10)", page(province_code="10")),
        ("province: rare (96)", page(province_code="96")),
        ("province: absent (38)", page(province_code="38")),
        ("entity type only (absent)", page(entity_type="referral")),
        ("time: last day", page(occurred_from=end - timedelta(days=1))),
        (
            "time: one old day",
            page(occurred_from=START + timedelta(days=30), occurred_to=START + timedelta(days=31)),
        ),
        (
            "time: one old month",
            page(occurred_from=START + timedelta(days=30), occurred_to=START + timedelta(days=60)),
        ),
        ("time: whole year", page(occurred_from=START, occurred_to=end)),
        (
            "actor + old month",
            page(
                actor_id="acct-5",
                occurred_from=START + timedelta(days=30),
                occurred_to=START + timedelta(days=60),
            ),
        ),
        ("province + action prefix", page(province_code="40", action="auth.")),
        (
            "export: actor (seq ascending)",
            export_sql(AuditFilter.build(actor_id="acct-5"), up_to_seq=rows),
        ),
        (
            "export: action prefix",
            export_sql(AuditFilter.build(action="user."), up_to_seq=rows),
        ),
    ]


async def explain(conn: AsyncConnection, statement: Statement, analyze: bool) -> list[str]:
    sql, params = statement
    raw = await conn.get_raw_connection()
    driver: Any = raw.driver_connection  # an asyncpg connection
    options = "ANALYZE, BUFFERS" if analyze else "COSTS"
    records = await driver.fetch(f"EXPLAIN ({options}) {sql}", *params)
    return [r[0] for r in records]


async def ensure_database(url: str) -> None:
    """Create the database of `url` when it does not exist (connecting to `postgres`)."""
    base, _, name = url.rpartition("/")
    name = name.split("?")[0]
    admin = create_async_engine(f"{base}/postgres", isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as conn:
            exists = await conn.scalar(
                text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}
            )
            if not exists:
                await conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        await admin.dispose()


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", default=DEFAULT_URL)
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    await ensure_database(args.url)
    engine = create_engine(args.url, pool_size=1)
    await upgrade_to_head(engine)
    async with engine.begin() as conn:
        count = (await conn.execute(text("SELECT count(*) FROM audit_log"))).scalar_one()
        if count != args.rows:
            print(f"filling audit_log with {args.rows} entries ...", flush=True)
            await conn.execute(text("SET LOCAL session_replication_role = replica"))
            await conn.execute(text("TRUNCATE audit_log"))
            await conn.execute(
                text(FILL),
                {"start": START, "span": 365 * 86400.0, "rows": args.rows},
            )
    async with engine.connect() as conn:
        await conn.execute(text("ANALYZE audit_log"))
        await conn.execute(text("SET plan_cache_mode = force_custom_plan"))
        print(f"{'query':34} {'ms':>8}  plan (index nodes)")
        for label, statement in cases(args.rows):
            analyze = not label.startswith("export")
            lines = await explain(conn, statement, analyze)
            used = re.findall(
                r"(Index Only Scan|Index Scan Backward|Index Scan|Bitmap Index "
                r"Scan|Seq Scan)(?: using (\w+))?",
                "\n".join(lines),
            )
            summary = ", ".join(f"{kind} {name}".strip() for kind, name in used)
            if any("Sort Key" in line for line in lines):
                summary += " + Sort"
            took = next((line for line in lines if line.startswith("Execution Time")), "")
            ms = took.split(":")[1].strip().removesuffix(" ms") if took else "-"
            print(f"{label:34} {ms:>8}  {summary}")
        await conn.rollback()
    await engine.dispose()


if __name__ == "__main__":
    asyncio.run(main())
