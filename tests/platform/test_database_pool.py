"""Pooled connections that died (a database restart, a dropped TCP connection) are
replaced: idle ones before use, busy ones after the one request that hit them.

No pre-ping on every checkout (persistence/db.py): that cost a round trip per request.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from api.app import create_app
from api.services import services_of
from api.settings import Settings
from domain.clock import FrozenClock


async def _kill_pooled_connections(app: FastAPI, db: AsyncEngine) -> int:
    """Terminate the server side of the app's pooled connection (one: requests ran one by
    one), from the test's own connection, as a database restart would."""
    async with services_of(app).database.require_engine().connect() as conn:
        pid = (await conn.execute(text("SELECT pg_backend_pid()"))).scalar_one()
    async with db.connect() as admin:
        await admin.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    return int(pid)


ClientFactory = Callable[[float], Awaitable[tuple[FastAPI, httpx.AsyncClient]]]


@pytest.fixture
async def make_client(
    db: AsyncEngine, settings: Settings, clock: FrozenClock
) -> AsyncIterator[ClientFactory]:
    async with AsyncExitStack() as stack:

        async def make(idle_ping_seconds: float) -> tuple[FastAPI, httpx.AsyncClient]:
            app = create_app(
                settings.model_copy(update={"database_idle_ping_seconds": idle_ping_seconds}),
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


async def _ready(client: httpx.AsyncClient) -> int:
    return (await client.get("/health/ready")).status_code


async def test_an_idle_dead_connection_is_replaced_before_use(
    make_client: ClientFactory, db: AsyncEngine
) -> None:
    app, client = await make_client(0)
    assert await _ready(client) == 200
    await _kill_pooled_connections(app, db)
    assert await _ready(client) == 200  # pinged at checkout, replaced, no error


async def test_a_busy_dead_connection_fails_one_request_then_the_pool_recovers(
    make_client: ClientFactory, db: AsyncEngine
) -> None:
    app, client = await make_client(3600)
    assert await _ready(client) == 200
    await _kill_pooled_connections(app, db)
    assert await _ready(client) == 503  # the one request that met the dead connection
    assert await _ready(client) == 200  # the pool was invalidated: a fresh connection
