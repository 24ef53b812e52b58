"""Fixtures of the webhook tests: a loopback receiver the app may call (allow-listed), and
delivery workers on the test's clock."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from typing import Protocol

import pytest
from fastapi import FastAPI

from api.network import SystemResolver
from api.services import services_of
from api.settings import Settings
from api.webhooks.delivery import DeliveryWorker, WorkerConfig
from domain.clock import Clock, FrozenClock
from domain.webhooks.model import Breaker, RetryPolicy
from domain.webhooks.urls import AddressResolver, UrlGuard
from tests.webhooks.receiver import Receiver


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    yield server
    server.release()
    server.stop()


@pytest.fixture
def loopback_settings(app: FastAPI, settings: Settings) -> Settings:
    """The app may call plain-http loopback endpoints (the receiver) from now on."""
    allowed = settings.model_copy(
        update={"webhook_allow_http": True, "webhook_allowed_hosts": "127.0.0.1"}
    )
    services_of(app).settings = allowed
    return allowed


class MakeWorker(Protocol):
    def __call__(
        self,
        *,
        clock: Clock | None = None,
        breaker: Breaker | None = None,
        resolver: AddressResolver | None = None,
        concurrency: int = 1,
    ) -> DeliveryWorker: ...


@pytest.fixture
async def make_worker(
    app: FastAPI, loopback_settings: Settings, clock: FrozenClock
) -> AsyncIterator[MakeWorker]:
    """Workers on the app's database and the test's clock (jitter 0: retries due at half
    their ceiling), closed after the test."""
    made: list[DeliveryWorker] = []
    services = services_of(app)

    def make(
        *,
        clock: Clock | None = None,
        breaker: Breaker | None = None,
        resolver: AddressResolver | None = None,
        concurrency: int = 1,
    ) -> DeliveryWorker:
        worker = DeliveryWorker(
            services.database.require_engine(),
            keyring=services.keyring,
            clock=clock or services.clock,
            guard=UrlGuard(loopback_settings.url_rules(), resolver or SystemResolver()),
            config=WorkerConfig(
                retry=RetryPolicy(),
                breaker=breaker or Breaker(failures=100, pause=timedelta(minutes=30)),
                timeout=5.0,
                concurrency=concurrency,
                poll_seconds=0.5,
            ),
            jitter=lambda: 0.0,
        )
        made.append(worker)
        return worker

    yield make
    for worker in made:
        await worker.close()
