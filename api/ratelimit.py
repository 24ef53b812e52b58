"""Rate limits for sensitive flows (anonymous intake, receipt look-ups, public applications).

Fixed windows counted per client. The client is identified by an HMAC of its address
under a server secret: the raw IP address is never stored, logged or sent to Redis.
With REDIS_URL set the counters are shared by every API process; without it (or while
Redis is unreachable) each process counts in memory, so the service keeps running.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
from dataclasses import dataclass
from typing import Any, Protocol

import redis.asyncio as redis
from fastapi import Depends, Request
from redis.exceptions import RedisError

from domain.clock import Clock
from domain.errors import TooManyRequests

logger = logging.getLogger("duangta.ratelimit")

_UNITS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}
_RATE = re.compile(r"^\s*(\d+)\s*/\s*(\d*)\s*(second|minute|hour|day)s?\s*$")


@dataclass(frozen=True, slots=True)
class Rate:
    count: int
    seconds: int

    @classmethod
    def parse(cls, text: str) -> Rate:
        """'10/minute', '5/hour', '100/15minutes'."""
        match = _RATE.match(text)
        if not match:
            raise ValueError(f"not a rate: {text!r} (use e.g. '10/minute')")
        count, multiplier, unit = match.groups()
        return cls(count=int(count), seconds=int(multiplier or 1) * _UNITS[unit])


class Counter(Protocol):
    async def incr(self, key: str, ttl: int) -> int: ...

    async def get(self, key: str) -> int: ...


class MemoryCounter:
    """Per-process counters; old windows are pruned as new ones start."""

    def __init__(self, max_keys: int = 100_000) -> None:
        self._counts: dict[str, int] = {}
        self._max_keys = max_keys

    async def incr(self, key: str, ttl: int) -> int:
        if len(self._counts) >= self._max_keys:
            self._counts.clear()  # bounded memory; at worst a window restarts early
        self._counts[key] = self._counts.get(key, 0) + 1
        return self._counts[key]

    async def get(self, key: str) -> int:
        return self._counts.get(key, 0)


class RedisCounter:
    """Counters in Redis (shared by all processes), falling back to memory on errors."""

    def __init__(self, url: str) -> None:
        self._redis = redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)
        self._fallback = MemoryCounter()

    async def incr(self, key: str, ttl: int) -> int:
        try:
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.incr(key)
                pipe.expire(key, ttl)
                count, _ = await pipe.execute()
            return int(count)
        except (RedisError, OSError):
            logger.warning("redis unavailable; rate limits counted in this process only")
            return await self._fallback.incr(key, ttl)

    async def get(self, key: str) -> int:
        try:
            value = await self._redis.get(key)
            return int(value or 0)
        except (RedisError, OSError):
            logger.warning("redis unavailable; rate limits counted in this process only")
            return await self._fallback.get(key)

    async def close(self) -> None:
        await self._redis.aclose()


class RateLimiter:
    def __init__(self, counter: Counter, clock: Clock, secret: bytes) -> None:
        self.counter = counter
        self._clock = clock
        self._secret = secret

    def client_key(self, request: Request) -> str:
        address = request.client.host if request.client else "unknown"
        return hmac.new(self._secret, address.encode(), hashlib.sha256).hexdigest()[:32]

    def _window(self, name: str, rate: Rate, client: str) -> tuple[str, int]:
        now = int(self._clock.now().timestamp())
        start = now - now % rate.seconds
        return f"duangta:rl:{name}:{client}:{start}", start + rate.seconds - now

    async def hit(self, name: str, rate: Rate, client: str) -> None:
        """Count one attempt; raise TooManyRequests when the window's budget is spent."""
        key, retry_after = self._window(name, rate, client)
        if await self.counter.incr(key, rate.seconds + 1) > rate.count:
            raise TooManyRequests(_detail(rate), retry_after=retry_after)

    async def check(self, name: str, rate: Rate, client: str) -> None:
        """Raise when the budget is spent, without counting (pair with hit() on failure)."""
        key, retry_after = self._window(name, rate, client)
        if await self.counter.get(key) >= rate.count:
            raise TooManyRequests(_detail(rate), retry_after=retry_after)

    async def count(self, name: str, rate: Rate, client: str) -> None:
        """Count one success without refusing it (pair with check() before the work)."""
        key, _ = self._window(name, rate, client)
        await self.counter.incr(key, rate.seconds + 1)


def _detail(rate: Rate) -> str:
    return (
        f"Too many requests: at most {rate.count} per {rate.seconds} seconds from one client. "
        "Retry after the number of seconds in the Retry-After header."
    )


def rate_limited(name: str, rate_setting: str) -> Any:
    """A route dependency counting every request against `settings.<rate_setting>`."""

    async def dependency(request: Request) -> None:
        limiter: RateLimiter = request.app.state.rate_limiter
        rate = Rate.parse(getattr(request.app.state.settings, rate_setting))
        await limiter.hit(name, rate, limiter.client_key(request))

    return Depends(dependency)
