"""The outbox on PostgreSQL: fan-out to subscribed, enabled endpoints of the event's agency
only, NOTIFY on commit, and the backlog count /metrics reads."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine

from api.services import services_of
from domain.clock import FrozenClock
from domain.outbox.model import EventType, OutboxEvent
from domain.policy import Role
from domain.webhooks.model import Endpoint
from persistence.outbox.repository import CHANNEL
from persistence.uow import SqlUnitOfWork
from tests.conftest import LoginAs
from tests.webhooks.helpers import count


async def test_events_fan_out_to_subscribed_enabled_endpoints_of_their_agency(
    app: FastAPI, db: AsyncEngine, clock: FrozenClock, login_as: LoginAs
) -> None:
    headers = await login_as(Role.ADMIN)
    admin_id = uuid.UUID(headers["X-Test-Account-Id"])
    sessions = services_of(app).database.sessions()

    def hook(agency: str, types: set[EventType], enabled: bool = True) -> Endpoint:
        return Endpoint.new(
            agency_code=agency,
            url="https://hooks.example/",
            description=None,
            types=frozenset(types),
            enabled=enabled,
            created_by=admin_id,
            at=clock.now(),
        )

    created, updated = {EventType.REFERRAL_CREATED}, {EventType.REFERRAL_UPDATED}
    endpoints = [hook("PACC", created), hook("PACC", updated), hook("PACC", created, False)]
    endpoints.append(hook("NACC", created))
    async with SqlUnitOfWork(sessions, clock=clock) as uow:
        for each in endpoints:
            await uow.endpoints.add(each)
        await uow.commit()

    heard: list[str] = []
    async with db.connect() as listener:
        raw: Any = (await listener.get_raw_connection()).driver_connection

        def listen(*args: Any) -> None:
            heard.append(args[2])

        await raw.add_listener(CHANNEL, listen)
        async with SqlUnitOfWork(sessions, clock=clock) as uow:
            event = OutboxEvent.new(
                EventType.REFERRAL_CREATED, agency_code="PACC", at=clock.now(), data={}
            )
            await uow.outbox.add(event)
            assert await uow.outbox.outbox_backlog() == 1
            await asyncio.sleep(0)
            assert heard == []  # not before the commit
            await uow.commit()
        async with SqlUnitOfWork(sessions, clock=clock) as uow:
            assert await uow.outbox.outbox_backlog() == 1
            # An event nobody subscribed to is stored (the feed) with no delivery.
            await uow.outbox.add(
                OutboxEvent.new(
                    EventType.INVESTIGATION_CONCLUDED, agency_code="DSI", at=clock.now(), data={}
                )
            )
            await uow.commit()
        for _ in range(100):
            if heard:
                break
            await raw.execute("SELECT 1")  # let the notification in
        await raw.remove_listener(CHANNEL, listen)
    assert heard == [CHANNEL]  # once: for the event that had a subscriber
    assert await count(db, "outbox_events") == 2
    assert await count(db, "webhook_deliveries") == 1
