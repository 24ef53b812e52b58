"""The rate limiter: named budgets parsed once, a moving window per client, Redis shared
by processes, memory when Redis is down, and never a raw address as a key."""

from __future__ import annotations

import uuid
from types import SimpleNamespace

import pytest

from api.ratelimit import Budget, RateLimits, parse_rate
from domain.errors import TooManyRequests

THREE_A_MINUTE = {budget: parse_rate("3/minute") for budget in Budget}


class FakeTime:
    """Stands in for time.time in the limits library's memory storage and strategies."""

    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.mark.parametrize(
    ("text", "amount", "seconds"),
    [
        ("10/minute", 10, 60),
        ("5/hour", 5, 3600),
        ("100/15minutes", 100, 900),
        ("3 / second", 3, 1),
        ("1/day", 1, 86400),
    ],
)
def test_parse(text: str, amount: int, seconds: int) -> None:
    item = parse_rate(text)
    assert (item.amount, item.get_expiry()) == (amount, seconds)


@pytest.mark.parametrize("text", ["", "ten/minute", "5/fortnight", "5"])
def test_parse_rejects(text: str) -> None:
    with pytest.raises(ValueError, match="not a rate"):
        parse_rate(text)


def test_every_budget_needs_a_rate() -> None:
    with pytest.raises(ValueError, match="no rate"):
        RateLimits({Budget.TIP_SUBMIT: parse_rate("1/minute")}, secret=b"k")


def test_client_key_is_a_keyed_hash_of_the_address() -> None:
    limiter = RateLimits(THREE_A_MINUTE, secret=b"k")
    key = limiter.client_key("203.0.113.7")
    assert "203.0.113.7" not in key
    assert len(key) == 32
    assert key == limiter.client_key("203.0.113.7") != limiter.client_key("203.0.113.8")
    assert RateLimits(THREE_A_MINUTE, secret=b"other").client_key("203.0.113.7") != key


async def check_budgets(limiter: RateLimits) -> None:
    client = uuid.uuid4().hex
    for _ in range(3):
        await limiter.hit(Budget.TIP_SUBMIT, client)
    with pytest.raises(TooManyRequests) as refused:
        await limiter.hit(Budget.TIP_SUBMIT, client)
    assert 1 <= refused.value.retry_after <= 61
    with pytest.raises(TooManyRequests):
        await limiter.check(Budget.TIP_SUBMIT, client)
    await limiter.hit(Budget.TIP_SUBMIT, uuid.uuid4().hex)  # another client has its own budget
    await limiter.hit(Budget.VOLUNTEER_APPLICATION, client)  # and so does another budget
    # check() never counts; count() never refuses.
    other = uuid.uuid4().hex
    for _ in range(5):
        await limiter.check(Budget.TIP_REPORTER_MESSAGE, other)
    for _ in range(4):
        await limiter.count(Budget.TIP_REPORTER_MESSAGE, other)
    with pytest.raises(TooManyRequests):
        await limiter.check(Budget.TIP_REPORTER_MESSAGE, other)


async def test_memory_budgets_and_moving_window(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeTime(1_800_000_000.0)
    fake_time = SimpleNamespace(time=fake)
    monkeypatch.setattr("limits.aio.storage.memory.time", fake_time)
    monkeypatch.setattr("limits.aio.strategies.time", fake_time)
    limiter = RateLimits(THREE_A_MINUTE, secret=b"k", timer=fake)
    await check_budgets(limiter)
    client = uuid.uuid4().hex
    await limiter.hit(Budget.TIP_SUBMIT, client)
    fake.now += 30
    await limiter.hit(Budget.TIP_SUBMIT, client)
    await limiter.hit(Budget.TIP_SUBMIT, client)
    with pytest.raises(TooManyRequests) as refused:
        await limiter.hit(Budget.TIP_SUBMIT, client)
    # A moving window: the first hit leaves it just after 60 s from when it was made.
    assert refused.value.retry_after == 31
    fake.now += 30
    with pytest.raises(TooManyRequests):
        await limiter.hit(Budget.TIP_SUBMIT, client)  # still inside (the window is inclusive)
    fake.now += 1
    await limiter.hit(Budget.TIP_SUBMIT, client)
    with pytest.raises(TooManyRequests):
        await limiter.hit(Budget.TIP_SUBMIT, client)


async def test_redis_budgets_are_shared_by_processes() -> None:
    first = RateLimits(THREE_A_MINUTE, secret=b"k", redis_url="redis://127.0.0.1:6379/0")
    second = RateLimits(THREE_A_MINUTE, secret=b"k", redis_url="redis://127.0.0.1:6379/0")
    try:
        client = uuid.uuid4().hex
        for _ in range(3):
            await first.hit(Budget.TIP_SUBMIT, client)
        with pytest.raises(TooManyRequests):
            await second.check(Budget.TIP_SUBMIT, client)
        await check_budgets(second)
    finally:
        await first.close()
        await second.close()


async def test_redis_down_falls_back_to_memory() -> None:
    limiter = RateLimits(THREE_A_MINUTE, secret=b"k", redis_url="redis://127.0.0.1:1/0")
    try:
        await check_budgets(limiter)
    finally:
        await limiter.close()


def test_the_swept_memory_storage_overrides_the_librarys_expiry_hook() -> None:
    """SweptMemoryStorage throttles limits' private `__schedule_expiry`: if a new release
    renames it, the override would silently stop working (this test says so)."""
    from limits.aio.storage import MemoryStorage

    from api.ratelimit import SweptMemoryStorage

    assert hasattr(MemoryStorage, "_MemoryStorage__schedule_expiry")
    assert "_MemoryStorage__schedule_expiry" in vars(SweptMemoryStorage)


async def test_the_swept_memory_storage_counts_a_moving_window_exactly() -> None:
    """Sweeping at most once a second changes no answer: 3 per minute means 3, then no."""
    import limits
    from limits.aio.strategies import MovingWindowRateLimiter

    from api.ratelimit import SweptMemoryStorage

    limiter = MovingWindowRateLimiter(SweptMemoryStorage())
    rate = limits.parse("3/minute")
    answers = [await limiter.hit(rate, "client") for _ in range(5)]
    assert answers == [True, True, True, False, False]
    assert await limiter.hit(rate, "another client")
