"""Load shedding: at most `MAX_CONCURRENT_REQUESTS` requests in a process at once.

A request that finds every slot taken waits at most `REQUEST_QUEUE_SECONDS` for one,
then is answered 503 `service-unavailable` with `Retry-After`: under a flood the clients
hear "come back in a second" at once instead of queueing for seconds behind the
database pool, and the requests already admitted keep their latency. Health probes and
`/metrics` are never counted, so a saturated process still reports on itself. The
slots are taken and given back by the edge layer (api/middleware.py).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from starlette.responses import Response
from starlette.types import Scope

from api.problems import SERVICE_UNAVAILABLE, problem_response

#: Paths that bypass the limit (probes of orchestrators and the metrics scraper).
EXEMPT_PREFIXES = ("/health/", "/metrics")
#: Seconds a shed client is told to wait.
SHED_RETRY_AFTER = 1


class ConcurrencyLimit:
    """The slots of one process (built once in `create_app`, kept in the services)."""

    def __init__(self, limit: int, queue_seconds: float) -> None:
        self.limit = limit
        self.queue_seconds = queue_seconds
        self.slots = asyncio.Semaphore(limit)
        #: Requests being served, and waiting for a slot (read by tests and metrics).
        self.in_flight = 0
        self.waiting = 0
        #: Called once per shed request (the metrics count them).
        self.on_shed: Callable[[], None] | None = None

    async def acquire(self) -> bool:
        """Take a slot, waiting at most `queue_seconds`; False: none came free."""
        if not self.slots.locked():
            await self.slots.acquire()  # a free slot: returns at once
            return True
        if self.queue_seconds <= 0:
            return False
        self.waiting += 1
        try:
            async with asyncio.timeout(self.queue_seconds):
                await self.slots.acquire()
            return True
        except TimeoutError:
            return False
        finally:
            self.waiting -= 1


def exempt(path: str) -> bool:
    """Probes and the metrics scrape are never limited."""
    return path.startswith(EXEMPT_PREFIXES)


def shed_response(limit: ConcurrencyLimit, scope: Scope) -> Response:
    """The 503 a request gets when no slot came free in time (counted by `on_shed`)."""
    if limit.on_shed is not None:
        limit.on_shed()
    return problem_response(
        SERVICE_UNAVAILABLE,
        detail=(
            f"The service is at capacity ({limit.limit} requests at once). Retry "
            "after the number of seconds in the Retry-After header."
        ),
        instance=scope["path"],
        request_id=scope.get("state", {}).get("request_id"),
        headers={"Retry-After": str(SHED_RETRY_AFTER)},
    )
