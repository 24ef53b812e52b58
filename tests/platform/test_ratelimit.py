from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from api.ratelimit import MemoryCounter, Rate, RateLimiter, RedisCounter
from domain.clock import FrozenClock
from domain.errors import TooManyRequests


@pytest.mark.parametrize(
    ("text", "rate"),
    [
        ("10/minute", Rate(10, 60)),
        ("5/hour", Rate(5, 3600)),
        ("100/15minutes", Rate(100, 900)),
        ("3 / second", Rate(3, 1)),
        ("1/day", Rate(1, 86400)),
    ],
)
def test_parse(text: str, rate: Rate) -> None:
    assert Rate.parse(text) == rate


@pytest.mark.parametrize("text", ["", "ten/minute", "5/fortnight", "5"])
def test_parse_rejects(text: str) -> None:
    with pytest.raises(ValueError, match="not a rate"):
        Rate.parse(text)


async def check_limiter(limiter: RateLimiter, clock: FrozenClock) -> None:
    rate = Rate(3, 60)
    client = uuid.uuid4().hex
    for _ in range(3):
        await limiter.hit("flow", rate, client)
    with pytest.raises(TooManyRequests) as refused:
        await limiter.hit("flow", rate, client)
    assert 1 <= refused.value.retry_after <= 60
    with pytest.raises(TooManyRequests):
        await limiter.check("flow", rate, client)
    await limiter.hit("flow", rate, uuid.uuid4().hex)  # another client has its own budget
    await limiter.hit("other-flow", rate, client)  # and so does another flow
    clock.advance(timedelta(seconds=60))
    await limiter.check("flow", rate, client)
    await limiter.hit("flow", rate, client)  # a new window


async def test_memory_counter() -> None:
    clock = FrozenClock(datetime(2026, 11, 25, 12, 0, 30, tzinfo=UTC))
    await check_limiter(RateLimiter(MemoryCounter(), clock, b"k"), clock)


async def test_redis_counter_shared_by_processes() -> None:
    clock = FrozenClock(datetime.now(UTC))
    first, second = (
        RedisCounter("redis://127.0.0.1:6379/0"),
        RedisCounter("redis://127.0.0.1:6379/0"),
    )
    try:
        await check_limiter(RateLimiter(first, clock, b"k"), clock)
        key = f"duangta:test:{uuid.uuid4().hex}"
        await first.incr(key, 10)
        if await second.get(key) != 1:
            pytest.skip("no Redis server at 127.0.0.1:6379 (the in-memory fallback answered)")
    finally:
        await first.close()
        await second.close()


async def test_redis_down_falls_back_to_memory() -> None:
    clock = FrozenClock(datetime(2026, 11, 25, 12, 0, 30, tzinfo=UTC))
    counter = RedisCounter("redis://127.0.0.1:1/0")
    try:
        await check_limiter(RateLimiter(counter, clock, b"k"), clock)
    finally:
        await counter.close()
