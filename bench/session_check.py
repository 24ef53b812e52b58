"""The per-request account read, before and after it also checks the token's session (a
report, not a test).

    .venv/bin/python -m bench.session_check [--url postgresql+asyncpg://...] [--accounts 10000]

Uses its own database (default `duangta_session_bench` on 127.0.0.1:5432, created if
missing), migrates it, inserts N accounts with one session of 20 rotated refresh tokens
each, then times, on one connection, the old statement (the account by primary key) and
the one every authenticated request now sends (`persistence/accounts/repository.py`
`_GET_SIGNED_IN`: the account, and no revoked token in the `sid` family), and prints the
plan of the latter.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
import uuid

from bench.audit_indexes import ensure_database
from domain.clock import SystemClock
from persistence.accounts.repository import _COLUMNS, _GET_BY_ID, _GET_SIGNED_IN
from persistence.db import create_engine, create_session_factory
from persistence.driver import driver_connection
from persistence.migrate import upgrade_to_head
from persistence.uow import SqlUnitOfWork

DEFAULT_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/duangta_session_bench"
TOKENS_PER_SESSION = 20
READS, ROUNDS = 5000, 9


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", default=DEFAULT_URL)
    parser.add_argument("--accounts", type=int, default=10_000)
    args = parser.parse_args()
    await ensure_database(args.url)
    engine = create_engine(args.url, pool_size=1)
    await upgrade_to_head(engine)
    try:
        async with SqlUnitOfWork(create_session_factory(engine), clock=SystemClock()) as uow:
            conn = await driver_connection(uow.session)
            await conn.execute("TRUNCATE refresh_tokens, accounts CASCADE")
            accounts = [uuid.uuid4() for _ in range(args.accounts)]
            families = {account: uuid.uuid4() for account in accounts}
            await conn.executemany(
                "INSERT INTO accounts (id, username, display_name, role, is_active, "
                "must_change_password, failed_logins, created_at, updated_at, version, "
                "token_version) VALUES ($1, $2, 'x', 'central_officer', true, false, 0, "
                "now(), now(), 1, 1)",
                [(account, f"user{i}") for i, account in enumerate(accounts)],
            )
            await conn.executemany(
                "INSERT INTO refresh_tokens (id, account_id, family_id, token_hash, issued_at, "
                "expires_at, session_started_at) VALUES ($1, $2, $3, $4, now(), "
                "now() + interval '30 minutes', now())",
                [
                    (uuid.uuid4(), account, families[account], uuid.uuid4().hex * 2)
                    for account in accounts
                    for _ in range(TOKENS_PER_SESSION)
                ],
            )
            await conn.execute("ANALYZE accounts; ANALYZE refresh_tokens")
            old = await conn.prepare(_GET_BY_ID)
            new = await conn.prepare(_GET_SIGNED_IN)
            sample = accounts[:READS]
            # Rounds alternate between the two, so a busy machine slows both alike.
            rounds: dict[str, list[float]] = {"before": [], "now": []}
            for _ in range(ROUNDS):
                for name, statement, with_sid in (("before", old, False), ("now", new, True)):
                    start = time.perf_counter()
                    for account in sample:
                        args_ = (account, families[account]) if with_sid else (account,)
                        await statement.fetchrow(*args_)
                    rounds[name].append((time.perf_counter() - start) / len(sample) * 1e6)
            for name, label in (
                ("before", "account by id (before)"),
                ("now", "account + session check (now)"),
            ):
                print(
                    f"{label}: {statistics.median(rounds[name]):.0f} us per read, round trip "
                    f"(median of {ROUNDS} x {len(sample)}, one connection)"
                )
            plan = await conn.fetch(
                f"EXPLAIN (ANALYZE, COSTS OFF) SELECT {_COLUMNS} FROM accounts WHERE id = $1 "
                "AND ($2::uuid IS NULL OR NOT EXISTS (SELECT 1 FROM refresh_tokens r "
                "WHERE r.family_id = $2 AND r.revoked_at IS NOT NULL))",
                accounts[7],
                families[accounts[7]],
            )
            print("\n".join(row[0] for row in plan))
            await uow.commit()
    finally:
        await engine.dispose()


if __name__ == "__main__":
    asyncio.run(main())
