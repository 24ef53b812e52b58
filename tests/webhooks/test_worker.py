"""The worker as it runs: a process killed in the middle of a delivery, then restarted,
delivers the event (same webhook-id); two workers share a burst of 1,000 events, every
one arrives, none is sent twice, let alone at the same time."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from datetime import timedelta

import httpx
from fastapi import FastAPI
from sqlalchemy import text

from api.network import SystemResolver
from api.services import services_of
from api.settings import Settings
from api.webhooks.delivery import DeliveryWorker, WorkerConfig
from domain.clock import FrozenClock, SystemClock
from domain.outbox.model import EventType, OutboxEvent
from domain.policy import Role
from domain.webhooks.model import Breaker, RetryPolicy
from domain.webhooks.urls import UrlGuard
from persistence.db import create_engine
from persistence.uow import SqlUnitOfWork
from tests.conftest import LoginAs
from tests.webhooks.helpers import ENDPOINTS, deliveries, endpoint
from tests.webhooks.receiver import Receiver, eventually


def start_worker(database_url: str) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "ENVIRONMENT": "test",
        "WEBHOOK_ALLOW_HTTP": "true",
        "WEBHOOK_ALLOWED_HOSTS": "127.0.0.1",
        "WEBHOOK_POLL_SECONDS": "0.2",
        "WEBHOOK_WORKER_CONCURRENCY": "2",
        "LOG_LEVEL": "WARNING",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "api.worker"], env=env, stdout=subprocess.DEVNULL
    )


async def test_a_worker_killed_mid_delivery_delivers_after_a_restart(
    app: FastAPI,
    client: httpx.AsyncClient,
    login_as: LoginAs,
    receiver: Receiver,
    loopback_settings: Settings,
    database_url: str,
) -> None:
    pacc = await login_as(Role.PARTNER, agency_code="PACC")
    hook = await endpoint(client, pacc, receiver.url)
    receiver.hold()  # requests arrive and get no answer
    sent = await client.post(f"{ENDPOINTS}/{hook['id']}/test", headers=pacc)
    webhook_id = sent.json()["webhook_id"]

    first = start_worker(database_url)
    try:
        await eventually(lambda: len(receiver.arrived) == 1, what="the first attempt")
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
    receiver.release()  # back to answering 200
    (log,) = await deliveries(client, pacc, hook["id"])
    assert (log["state"], log["attempt_count"]) == ("pending", 0)  # the attempt died with it

    second = start_worker(database_url)
    try:
        await eventually(lambda: len(receiver.received) == 1, what="delivery after the restart")

        async def delivered() -> bool:
            (log,) = await deliveries(client, pacc, hook["id"])
            return bool(log["state"] == "delivered")

        await eventually(delivered, what="the delivery recorded")
    finally:
        second.send_signal(signal.SIGTERM)
        assert second.wait(timeout=15) == 0  # stops cleanly
    assert [r.webhook_id for r in receiver.arrived] == [webhook_id, webhook_id]


async def test_two_workers_deliver_a_burst_of_1000_events_each_once(
    app: FastAPI,
    client: httpx.AsyncClient,
    login_as: LoginAs,
    clock: FrozenClock,
    receiver: Receiver,
    loopback_settings: Settings,
    database_url: str,
) -> None:
    pacc = await login_as(Role.PARTNER, agency_code="PACC")
    await endpoint(client, pacc, receiver.url, event_types=["referral.created"])
    events = [
        OutboxEvent.new(
            EventType.REFERRAL_CREATED, agency_code="PACC", at=clock.now(), data={"n": str(n)}
        )
        for n in range(1000)
    ]
    async with SqlUnitOfWork(services_of(app).database.sessions(), clock=clock) as uow:
        for event in events:
            await uow.outbox.add(event)
        await uow.commit()

    engines = [create_engine(database_url, pool_size=5) for _ in range(2)]
    workers = [
        DeliveryWorker(
            engine,
            keyring=services_of(app).keyring,
            clock=SystemClock(),
            guard=UrlGuard(loopback_settings.url_rules(), SystemResolver()),
            config=WorkerConfig(
                retry=RetryPolicy(first=timedelta(milliseconds=50)),
                breaker=Breaker(),
                timeout=10.0,
                concurrency=4,
                poll_seconds=0.2,
            ),
        )
        for engine in engines
    ]
    stop = asyncio.Event()
    running = [asyncio.create_task(worker.run(stop)) for worker in workers]

    async def all_recorded() -> bool:
        async with services_of(app).database.require_engine().connect() as connection:
            found = await connection.execute(
                text("SELECT count(*) FROM webhook_deliveries WHERE state = 'delivered'")
            )
            return int(found.scalar_one()) == 1000

    try:
        # Recorded, not only received: a worker stopped between the receiver's answer and
        # its commit would rightly send that event again.
        await eventually(all_recorded, within=120, what="1,000 deliveries recorded")
    finally:
        stop.set()
        await asyncio.gather(*running)
        for worker, engine in zip(workers, engines, strict=True):
            await worker.close()
            await engine.dispose()

    ids = [r.webhook_id for r in receiver.received]
    assert sorted(ids) == sorted(event.message_id for event in events)  # each exactly once
    assert receiver.concurrent_duplicates == []
    assert all(worker.attempts > 0 for worker in workers)
    assert sum(worker.attempts for worker in workers) == 1000
