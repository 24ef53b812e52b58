"""Load shedding (api/overload.py): with every slot taken, a request waits at most the
queue time and is then answered 503 with Retry-After; probes are never shed.

Requests are held open by their own body stream (the app waits for the rest of the
body), released by an event: no sleeps, no timing.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from api.app import create_app
from api.overload import ConcurrencyLimit
from api.services import services_of
from api.settings import Settings
from domain.clock import FrozenClock
from tests.conftest import assert_problem
from tests.reliability.test_database_faults import until
from tests.tips.helpers import tip_body

AppFactory = Callable[[float], Awaitable[tuple[FastAPI, httpx.AsyncClient]]]


@pytest.fixture
async def limited_app(
    db: AsyncEngine, settings: Settings, clock: FrozenClock
) -> AsyncIterator[AppFactory]:
    """Apps limited to one request at once, with the given queue time."""
    async with AsyncExitStack() as stack:

        async def make(queue_seconds: float) -> tuple[FastAPI, httpx.AsyncClient]:
            app = create_app(
                settings.model_copy(
                    update={"max_concurrent_requests": 1, "request_queue_seconds": queue_seconds}
                ),
                clock=clock,
            )
            await stack.enter_async_context(app.router.lifespan_context(app))
            client = await stack.enter_async_context(
                httpx.AsyncClient(
                    transport=httpx.ASGITransport(app=app), base_url="http://testserver"
                )
            )
            return app, client

        yield make


class HeldBody:
    """A request body that sends its first half, then waits for `release`."""

    def __init__(self, document: dict[str, object]) -> None:
        self.raw = json.dumps(document).encode()
        self.entered = asyncio.Event()
        self.release = asyncio.Event()

    async def __aiter__(self) -> AsyncIterator[bytes]:
        half = len(self.raw) // 2
        yield self.raw[:half]
        self.entered.set()  # the app admitted the request and reads its body
        await self.release.wait()
        yield self.raw[half:]


def _limit(app: FastAPI) -> ConcurrencyLimit:
    limit = services_of(app).concurrency_limit
    assert limit is not None
    return limit


async def _hold(client: httpx.AsyncClient) -> tuple[HeldBody, asyncio.Task[httpx.Response]]:
    body = HeldBody(tip_body())
    task = asyncio.create_task(
        client.post(
            "/api/v1/tips",
            content=body.__aiter__(),
            headers={"Content-Type": "application/json"},
        )
    )
    await asyncio.wait_for(body.entered.wait(), 10)
    return body, task


async def test_a_full_process_sheds_at_once_with_retry_after(limited_app: AppFactory) -> None:
    app, client = await limited_app(0)
    held, first = await _hold(client)
    assert _limit(app).in_flight == 1

    shed = await client.get("/api/v1/provinces")
    body = assert_problem(shed, 503, "service-unavailable")
    assert shed.headers["retry-after"] == "1"
    assert "capacity" in body["detail"]
    # Probes are not counted: a saturated process still reports on itself.
    assert (await client.get("/health/live")).status_code == 200

    held.release.set()
    assert (await first).status_code == 201
    assert (await client.get("/api/v1/provinces")).status_code == 200
    assert _limit(app).in_flight == 0


async def test_a_request_waits_for_a_slot_within_the_queue_time(limited_app: AppFactory) -> None:
    app, client = await limited_app(30)
    held, first = await _hold(client)
    queued = asyncio.create_task(client.get("/api/v1/provinces"))
    await until(lambda: _limit(app).waiting == 1, 10, "the second request to queue")
    assert not queued.done()
    held.release.set()
    assert (await first).status_code == 201
    assert (await queued).status_code == 200  # it got the slot, no 503


async def test_a_pool_that_stays_exhausted_answers_503_after_the_pool_timeout(
    db: AsyncEngine, settings: Settings, clock: FrozenClock
) -> None:
    app = create_app(
        settings.model_copy(update={"database_pool_size": 1, "database_pool_timeout_seconds": 0.2}),
        clock=clock,
    )
    async with app.router.lifespan_context(app), AsyncExitStack() as held:
        engine = services_of(app).database.require_engine()
        for _ in range(2):  # the pool (1) and its overflow (1), all checked out
            await held.enter_async_context(engine.connect())
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            response = await c.post("/api/v1/tips", json=tip_body())
        assert_problem(response, 503, "service-unavailable")
        assert response.headers["retry-after"] == "2"


async def test_connections_carry_the_statement_timeout(
    db: AsyncEngine, settings: Settings, clock: FrozenClock
) -> None:
    app = create_app(
        settings.model_copy(update={"database_statement_timeout_ms": 1500}), clock=clock
    )
    async with app.router.lifespan_context(app):
        engine = services_of(app).database.require_engine()
        async with engine.connect() as conn:
            shown = (await conn.execute(text("SHOW statement_timeout"))).scalar_one()
    assert shown == "1500ms"
