"""`/metrics` reports the outbox backlog: webhook deliveries still pending, read from the
database at scrape time (api/app.py sets the callback of api/metrics.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncEngine

from api.app import create_app
from api.services import services_of
from api.settings import Settings
from domain.clock import FrozenClock
from domain.outbox.model import EventType, OutboxEvent
from domain.policy import Role
from persistence.uow import SqlUnitOfWork
from tests.conftest import LoginAs
from tests.platform.test_metrics import AUTH, TOKEN, sample
from tests.webhooks.conftest import MakeWorker
from tests.webhooks.helpers import endpoint
from tests.webhooks.receiver import Receiver


@pytest.fixture
async def scraper(
    db: AsyncEngine, settings: Settings, clock: FrozenClock
) -> AsyncIterator[httpx.AsyncClient]:
    """A client of an app that serves /metrics (METRICS_TOKEN set)."""
    metered = create_app(
        settings.model_copy(update={"metrics_token": SecretStr(TOKEN)}), clock=clock
    )
    async with metered.router.lifespan_context(metered):
        transport = httpx.ASGITransport(app=metered)
        async with httpx.AsyncClient(transport=transport, base_url="http://api") as client:
            yield client


async def _backlog(scraper: httpx.AsyncClient) -> float:
    answer = await scraper.get("/metrics", headers=AUTH)
    assert answer.status_code == 200, answer.text
    assert "# TYPE duangta_outbox_backlog gauge" in answer.text
    return sample(answer.text, "duangta_outbox_backlog")


async def test_metrics_show_the_pending_deliveries(
    app: FastAPI,
    client: httpx.AsyncClient,
    login_as: LoginAs,
    receiver: Receiver,
    make_worker: MakeWorker,
    scraper: httpx.AsyncClient,
    clock: FrozenClock,
) -> None:
    assert await _backlog(scraper) == 0
    pacc = await login_as(Role.PARTNER, agency_code="PACC")
    await endpoint(client, pacc, receiver.url)
    await endpoint(client, pacc, receiver.url, description="second")

    async with SqlUnitOfWork(services_of(app).database.sessions(), clock=clock) as uow:
        for n in range(3):
            await uow.outbox.add(
                OutboxEvent.new(
                    EventType.REFERRAL_UPDATED,
                    agency_code="PACC",
                    at=clock.now(),
                    data={"referral_id": f"r-{n}", "status": "received"},
                )
            )
        await uow.commit()
    assert await _backlog(scraper) == 6  # 3 events x 2 endpoints

    assert await make_worker().drain() == 6
    assert await _backlog(scraper) == 0
    assert len(receiver.received) == 6
