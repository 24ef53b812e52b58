"""Rate limits for sensitive flows (anonymous intake, receipt look-ups, public applications).

One limiter with named budgets (`Budget`), each parsed once from its setting when the app
is built. Counting is the `limits` library's moving window (no burst at a window edge),
in Redis when `REDIS_URL` is set (shared by every API process) and in memory otherwise;
while Redis is unreachable each process counts in memory, so the service keeps running.

The client is identified by an HMAC of its address under a server secret: the raw address
is never stored, logged or sent to Redis. API clients (partner systems with a client
credentials token) are counted by client id instead (`Budget.CLIENT_REQUEST`, api/deps.py).

Routes get a `ClientLimits` (the limiter bound to the caller's key) through the typed
dependency `Limits`, or declare `dependencies=[limited(Budget.X)]` when every request
counts.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import math
import time
from collections.abc import Callable, Mapping
from enum import StrEnum
from typing import Annotated, Any

import limits
from fastapi import Depends, Request
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter
from redis.exceptions import RedisError

from domain.errors import TooManyRequests

logger = logging.getLogger("duangta.ratelimit")


class Budget(StrEnum):
    """A named budget; its rate comes from the setting of the same purpose."""

    TIP_SUBMIT = "tip_submit"
    TIP_RECEIPT_FAILURE = "tip_receipt_failure"
    TIP_REPORTER_MESSAGE = "tip_reporter_message"
    VOLUNTEER_APPLICATION = "volunteer_application"
    VOLUNTEER_ACTIVATION_FAILURE = "volunteer_activation_failure"
    #: Every request of an API client, keyed by its client id (not by address).
    CLIENT_REQUEST = "client_request"


#: The setting (api/settings.py) that holds each budget's rate, e.g. "30/hour".
BUDGET_SETTINGS: Mapping[Budget, str] = {
    Budget.TIP_SUBMIT: "tip_submit_anonymous_rate",
    Budget.TIP_RECEIPT_FAILURE: "tip_follow_up_failure_rate",
    Budget.TIP_REPORTER_MESSAGE: "tip_reporter_message_rate",
    Budget.VOLUNTEER_APPLICATION: "volunteer_application_rate",
    Budget.VOLUNTEER_ACTIVATION_FAILURE: "volunteer_activation_failure_rate",
    Budget.CLIENT_REQUEST: "client_rate",
}


def parse_rate(text: str) -> limits.RateLimitItem:
    """'10/minute', '5/hour', '100/15minutes' (the `limits` notation)."""
    try:
        return limits.parse(text)
    except ValueError as exc:
        raise ValueError(f"not a rate: {text!r} (use e.g. '10/minute')") from exc


def _redis_storage(url: str) -> Storage:
    uri = "async+" + url if url.startswith(("redis://", "rediss://")) else url
    return RedisStorage(
        uri,
        implementation="redispy",
        socket_timeout=0.5,
        socket_connect_timeout=0.5,
        key_prefix="duangta:rl",
    )


class SweptMemoryStorage(MemoryStorage):
    """`limits`' in-memory storage, sweeping expired entries at most once a second.

    The library starts a sweep after every hit once the previous one is done, and each
    sweep hands every key to a thread (`asyncio.to_thread`): about a tenth of anonymous
    intake's CPU in the issue-10 profile. Sweeping less often changes no answer: the moving
    window compares each entry's time with the window (`acquire_entry`,
    `get_moving_window`), so an expired entry not yet swept is never counted; it only
    stays in memory up to a second longer. Overrides the library's private
    `__schedule_expiry` (limits is pinned; `tests/platform/test_ratelimit.py` checks the
    hook still exists).
    """

    SWEEP_SECONDS = 1.0

    def __init__(self) -> None:
        super().__init__()
        self._next_sweep = 0.0

    async def _MemoryStorage__schedule_expiry(self) -> None:  # noqa: N802 - the library's name
        now = time.monotonic()
        if now < self._next_sweep:
            return
        self._next_sweep = now + self.SWEEP_SECONDS
        await getattr(super(), "_MemoryStorage__schedule_expiry")()  # noqa: B009


class RateLimits:
    """Every budget, parsed once; counted per client key in a moving window."""

    def __init__(
        self,
        budgets: Mapping[Budget, limits.RateLimitItem],
        *,
        secret: bytes,
        redis_url: str | None = None,
        timer: Callable[[], float] = time.time,
    ) -> None:
        missing = set(Budget) - set(budgets)
        if missing:
            raise ValueError(f"no rate for budgets {sorted(missing)}")
        self.budgets = dict(budgets)
        self._secret = secret
        self._timer = timer
        self._memory = MovingWindowRateLimiter(SweptMemoryStorage())
        self._shared = MovingWindowRateLimiter(_redis_storage(redis_url)) if redis_url else None
        #: Called with the budget of every refusal (the metrics count them).
        self.on_reject: Callable[[Budget], None] | None = None

    @classmethod
    def from_settings(cls, settings: Any, *, timer: Callable[[], float] = time.time) -> RateLimits:
        """From `api.settings.Settings` (typed Any: the settings module imports this one)."""
        rates = {
            budget: parse_rate(getattr(settings, name)) for budget, name in BUDGET_SETTINGS.items()
        }
        return cls(
            rates,
            secret=settings.client_key_secret(),
            redis_url=settings.redis_url,
            timer=timer,
        )

    def api_client_key(self, client_id: object) -> str:
        """The counter key of an API client: its id (not secret; no address involved)."""
        return f"api-client:{client_id}"

    def client_key(self, address: str | None) -> str:
        raw = (address or "unknown").encode()
        return hmac.new(self._secret, raw, hashlib.sha256).hexdigest()[:32]

    async def _call(self, method: str, budget: Budget, client: str) -> Any:
        item = self.budgets[budget]
        if self._shared is not None:
            try:
                return await getattr(self._shared, method)(item, budget.value, client)
            except (RedisError, OSError, ConnectionError, TimeoutError):
                logger.warning("redis unavailable; rate limits counted in this process only")
        return await getattr(self._memory, method)(item, budget.value, client)

    async def _refuse(self, budget: Budget, client: str) -> TooManyRequests:
        if self.on_reject is not None:
            self.on_reject(budget)
        item = self.budgets[budget]
        stats = await self._call("get_window_stats", budget, client)
        # The oldest hit still counts at exactly `reset_time` (the window is inclusive), so
        # a client that waits Retry-After seconds must land strictly after it.
        retry_after = max(1, math.floor(stats.reset_time - self._timer()) + 1)
        return TooManyRequests(
            f"Too many requests: at most {item.amount} per {item.get_expiry()} seconds from "
            "one client. Retry after the number of seconds in the Retry-After header.",
            retry_after=min(retry_after, item.get_expiry() + 1),
        )

    async def hit(self, budget: Budget, client: str) -> None:
        """Count one attempt; raise TooManyRequests when the budget is spent."""
        if not await self._call("hit", budget, client):
            raise await self._refuse(budget, client)

    async def check(self, budget: Budget, client: str) -> None:
        """Raise when the budget is spent, without counting (pair with `hit` on failure)."""
        if not await self._call("test", budget, client):
            raise await self._refuse(budget, client)

    async def count(self, budget: Budget, client: str) -> None:
        """Count one success without refusing it (pair with `check` before the work)."""
        await self._call("hit", budget, client)

    async def close(self) -> None:
        if self._shared is not None:
            # limits has no close(); its redis-py client sits on the storage's bridge.
            client: Any = getattr(getattr(self._shared.storage, "bridge", None), "storage", None)
            if client is not None:
                try:
                    await client.aclose()
                except (RedisError, OSError):
                    logger.debug("closing the rate-limit Redis connection failed")


class ClientLimits:
    """The limiter bound to one caller's client key (one HMAC per request)."""

    __slots__ = ("_limits", "client")

    def __init__(self, rate_limits: RateLimits, client: str) -> None:
        self._limits = rate_limits
        self.client = client

    async def hit(self, budget: Budget) -> None:
        await self._limits.hit(budget, self.client)

    async def check(self, budget: Budget) -> None:
        await self._limits.check(budget, self.client)

    async def count(self, budget: Budget) -> None:
        await self._limits.count(budget, self.client)


async def client_limits(request: Request) -> ClientLimits:
    # The services container (api/services.py) imports this module, hence the attribute path.
    # The address comes from api/client_address.py: the peer, or what a trusted proxy forwarded.
    services = request.app.state.services
    rate_limits: RateLimits = services.rate_limits
    return ClientLimits(
        rate_limits, rate_limits.client_key(services.client_addresses.resolve(request.scope))
    )


#: A route parameter `limits: Limits` gives the limiter bound to the caller.
Limits = Annotated[ClientLimits, Depends(client_limits)]


def limited(budget: Budget) -> Any:
    """`dependencies=[limited(Budget.X)]`: every request counts against the budget."""

    async def dependency(client: Limits) -> None:
        await client.hit(budget)

    return Depends(dependency)
