"""The audit chain's ceiling (issue 10, point 6): appends per second with no HTTP at all.

Every write of the service appends one entry under one advisory lock, held from reading
the chain's head to the commit. Here `connections` asyncpg connections append as fast as
they can, each in its own transaction exactly as the service does (lock, head, insert,
commit; bench/reference/app.py's `append_audit`), first as the service commits, then with
`synchronous_commit = off` for the same transactions: the difference is the WAL flush
that every writer waits for while it holds the lock.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from typing import Any

import asyncpg

from bench.config import asyncpg_dsn
from bench.reference.app import append_audit


async def _appends(
    dsn: str, *, seconds: float, connections: int, synchronous: bool
) -> dict[str, Any]:
    pool = await asyncpg.create_pool(
        dsn,
        min_size=connections,
        max_size=connections,
        server_settings={
            "application_name": "duangta-bench-chain",
            "timezone": "UTC",
            "synchronous_commit": "on" if synchronous else "off",
        },
    )
    latencies: list[float] = []
    stop = time.monotonic() + seconds

    async def writer(n: int) -> None:
        i = 0
        async with pool.acquire() as conn:
            while time.monotonic() < stop:
                started = time.perf_counter()
                async with conn.transaction():
                    await append_audit(
                        conn,
                        actor_id="system",
                        actor_role=None,
                        action="bench.chain_ceiling",
                        entity_type=None,
                        entity_id=None,
                        province_code=None,
                        request_id=f"bench-chain-{n}-{i}",
                        details={"writer": n},
                    )
                latencies.append(time.perf_counter() - started)
                i += 1

    try:
        began = time.monotonic()
        await asyncio.gather(*(writer(n) for n in range(connections)))
        took = time.monotonic() - began
    finally:
        await pool.close()
    ordered = sorted(latencies) or [0.0]
    return {
        "synchronous_commit": "on" if synchronous else "off",
        "connections": connections,
        "entries": len(latencies),
        "entries_per_second": len(latencies) / took if took else 0.0,
        "p50_ms": statistics.median(ordered) * 1000,
        "p99_ms": ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000,
    }


async def chain_ceiling(url: str, *, seconds: float, connections: int = 16) -> list[dict[str, Any]]:
    dsn = asyncpg_dsn(url)
    return [
        await _appends(dsn, seconds=seconds, connections=connections, synchronous=True),
        await _appends(dsn, seconds=seconds, connections=connections, synchronous=False),
    ]
