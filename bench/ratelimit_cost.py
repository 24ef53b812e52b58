"""CPU per rate-limit hit: `limits`' in-memory storage as shipped against ours, which sweeps
expired entries at most once a second (api/ratelimit.py `SweptMemoryStorage`).

    .venv/bin/python -m bench.ratelimit_cost

Interleaved rounds in one process, medians; prints numbers, asserts nothing.
"""

from __future__ import annotations

import asyncio
import time
import uuid

import limits
from limits.aio.storage import MemoryStorage
from limits.aio.strategies import MovingWindowRateLimiter

from api.ratelimit import SweptMemoryStorage

HITS = 20_000
CLIENTS = 200


async def cpu_per_hit(storage: MemoryStorage) -> float:
    limiter = MovingWindowRateLimiter(storage)
    rate = limits.parse("1000000/second")
    keys = [uuid.uuid4().hex for _ in range(CLIENTS)]
    started = time.process_time()  # every thread of the process: the sweeps' too
    for i in range(HITS):
        await limiter.hit(rate, keys[i % CLIENTS])
        if i % 50 == 0:
            await asyncio.sleep(0)  # let scheduled sweeps run, as between requests
    return (time.process_time() - started) / HITS * 1e6


async def main() -> None:
    shipped: list[float] = []
    swept: list[float] = []
    for _ in range(3):
        shipped.append(await cpu_per_hit(MemoryStorage()))
        swept.append(await cpu_per_hit(SweptMemoryStorage()))
    a, b = sorted(shipped)[1], sorted(swept)[1]
    print(
        f"CPU per hit ({CLIENTS} clients, {HITS:,} hits, median of 3 interleaved rounds): "
        f"limits' storage {a:.1f} us, swept at most once a second {b:.1f} us ({a / b:.1f}x)"
    )


if __name__ == "__main__":
    asyncio.run(main())
