"""The delivery worker: rolled-back changes send nothing, retries with backoff until the
receiver is back (same webhook-id), give up after the window, the circuit breaker, DNS
rebinding, rotated secrets signing twice, redelivery."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine
from standardwebhooks.webhooks import Webhook

from api.services import services_of
from domain.clock import FrozenClock
from domain.errors import DomainError
from domain.investigations import use_cases as investigations
from domain.investigations.referrals import ReferralStatus
from domain.policy import Principal, Role
from domain.webhooks.model import Breaker
from persistence.uow import SqlUnitOfWork
from tests.conftest import LoginAs
from tests.investigations.test_api_referrals import concluded_case, refer
from tests.webhooks.conftest import MakeWorker
from tests.webhooks.helpers import ENDPOINTS, count, deliveries, endpoint
from tests.webhooks.receiver import Receiver


async def _test_event(
    client: httpx.AsyncClient, headers: dict[str, str], hook: dict[str, Any]
) -> str:
    sent = await client.post(f"{ENDPOINTS}/{hook['id']}/test", headers=headers)
    assert sent.status_code == 202, sent.text
    webhook_id: str = sent.json()["webhook_id"]
    return webhook_id


class CommitFails(SqlUnitOfWork):
    async def commit(self) -> None:
        raise DomainError("the commit failed")


async def test_a_change_rolled_back_produces_no_event(
    app: FastAPI,
    db: AsyncEngine,
    client: httpx.AsyncClient,
    login_as: LoginAs,
    clock: FrozenClock,
    receiver: Receiver,
    make_worker: MakeWorker,
) -> None:
    central = await login_as(Role.CENTRAL_OFFICER)
    pacc = await login_as(Role.PARTNER, agency_code="PACC")
    await endpoint(client, pacc, receiver.url)
    case = await concluded_case(client, central)
    referral_id = (await refer(client, central, case["id"], "PACC")).json()["id"]
    assert await make_worker().drain() == 1
    events_before = await count(db, "outbox_events")

    actor = Principal(UUID(pacc["X-Test-Account-Id"]), Role.PARTNER, agency_code="PACC")
    with pytest.raises(DomainError):
        async with CommitFails(services_of(app).database.sessions(), clock=clock) as uow:
            await investigations.report_on_referral(
                uow,
                actor=actor,
                referral_id=UUID(referral_id),
                status=ReferralStatus.ACCEPTED,
                note=None,
            )
    # Neither the change nor its event: nothing to deliver.
    assert await count(db, "outbox_events") == events_before
    assert await make_worker().drain() == 0
    assert len(receiver.arrived) == 1
    got = await client.get(f"/api/v1/referrals/{referral_id}", headers=pacc)
    assert got.json()["status"] == "referred"


async def test_a_receiver_down_gets_the_event_once_it_is_back(
    client: httpx.AsyncClient,
    login_as: LoginAs,
    clock: FrozenClock,
    receiver: Receiver,
    make_worker: MakeWorker,
) -> None:
    pacc = await login_as(Role.PARTNER, agency_code="PACC")
    hook = await endpoint(client, pacc, receiver.url)
    worker = make_worker()
    receiver.stop()  # connections refused
    webhook_id = await _test_event(client, pacc, hook)

    assert await worker.drain() == 1
    (log,) = await deliveries(client, pacc, hook["id"])
    assert (log["state"], log["attempt_count"], log["last_status_code"]) == ("pending", 1, None)
    assert log["last_error"]
    # Backoff: not before the next attempt is due (5 s ceiling, jitter 0: 2.5 s).
    assert await worker.drain() == 0
    clock.advance(timedelta(seconds=3))
    assert await worker.drain() == 1  # still down
    (log,) = await deliveries(client, pacc, hook["id"])
    first, second = log["attempts"]
    times = [first["at"], second["at"], log["next_attempt_at"]]
    assert sorted(times, key=datetime.fromisoformat) == times

    receiver.start()
    clock.advance(timedelta(seconds=10))
    assert await worker.drain() == 1
    (arrived,) = receiver.received
    assert arrived.webhook_id == webhook_id
    (log,) = await deliveries(client, pacc, hook["id"])
    assert (log["state"], log["attempt_count"], log["next_attempt_at"]) == ("delivered", 3, None)
    assert [a["status_code"] for a in log["attempts"]] == [None, None, 200]


async def test_a_delivery_is_given_up_after_the_retry_window(
    client: httpx.AsyncClient,
    login_as: LoginAs,
    clock: FrozenClock,
    receiver: Receiver,
    make_worker: MakeWorker,
) -> None:
    pacc = await login_as(Role.PARTNER, agency_code="PACC")
    hook = await endpoint(client, pacc, receiver.url)
    receiver.status = 500
    await _test_event(client, pacc, hook)
    worker = make_worker()
    attempts = 0
    for _ in range(40):  # backoff doubles to 6 h: about 18 attempts in 72 hours
        attempts += await worker.drain()
        clock.advance(timedelta(hours=6))
    (log,) = await deliveries(client, pacc, hook["id"])
    assert log["state"] == "failed"
    assert log["next_attempt_at"] is None
    assert log["attempt_count"] == attempts == len(receiver.received)
    assert 12 <= attempts <= 20
    assert {a["status_code"] for a in log["attempts"]} == {500}

    # Redelivered by hand (one delivery), with the same webhook-id.
    receiver.status = 200
    again = await client.post(
        f"{ENDPOINTS}/{hook['id']}/deliveries/{log['id']}/redeliver", headers=pacc
    )
    assert again.status_code == 202, again.text
    assert await worker.drain() == 1
    assert receiver.received[-1].webhook_id == receiver.received[0].webhook_id
    (log,) = await deliveries(client, pacc, hook["id"])
    assert log["state"] == "delivered"


async def test_the_breaker_pauses_an_endpoint_that_keeps_failing(
    client: httpx.AsyncClient,
    login_as: LoginAs,
    clock: FrozenClock,
    receiver: Receiver,
    make_worker: MakeWorker,
) -> None:
    pacc = await login_as(Role.PARTNER, agency_code="PACC")
    hook = await endpoint(client, pacc, receiver.url)
    worker = make_worker(breaker=Breaker(failures=3, pause=timedelta(minutes=30)))
    receiver.status = 503
    for _ in range(3):
        await _test_event(client, pacc, hook)
    assert await worker.drain() == 3
    paused = (await client.get(f"{ENDPOINTS}/{hook['id']}", headers=pacc)).json()
    assert paused["consecutive_failures"] == 3
    assert paused["paused_until"] is not None

    # Due retries wait for the pause to end.
    clock.advance(timedelta(minutes=10))
    assert await worker.drain() == 0
    receiver.status = 200
    clock.advance(timedelta(minutes=21))
    assert await worker.drain() == 3
    resumed = (await client.get(f"{ENDPOINTS}/{hook['id']}", headers=pacc)).json()
    assert (resumed["consecutive_failures"], resumed["paused_until"]) == (0, None)


class Rebinding:
    """A name that resolves to a public address, then to loopback (DNS rebinding)."""

    def __init__(self) -> None:
        self.address = "93.184.216.34"

    async def resolve(self, host: str, port: int) -> list[str]:
        return [self.address] if host == "hooks.partner.example" else []


async def test_a_host_that_rebinds_to_a_private_address_is_not_called(
    monkeypatch: pytest.MonkeyPatch,
    app: FastAPI,
    client: httpx.AsyncClient,
    login_as: LoginAs,
    receiver: Receiver,
    make_worker: MakeWorker,
) -> None:
    pacc = await login_as(Role.PARTNER, agency_code="PACC")
    dns = Rebinding()
    monkeypatch.setattr(services_of(app), "resolver", dns)
    hook = await endpoint(client, pacc, "https://hooks.partner.example/duangta")
    dns.address = "10.0.0.7"
    await _test_event(client, pacc, hook)
    worker = make_worker(resolver=dns)
    assert await worker.drain() == 1
    (log,) = await deliveries(client, pacc, hook["id"])
    assert log["state"] == "pending"
    assert "private address (10.0.0.7)" in log["last_error"]
    assert log["last_status_code"] is None


async def test_a_rotated_secret_signs_beside_the_new_one_during_the_overlap(
    client: httpx.AsyncClient,
    login_as: LoginAs,
    clock: FrozenClock,
    receiver: Receiver,
    make_worker: MakeWorker,
) -> None:
    pacc = await login_as(Role.PARTNER, agency_code="PACC")
    hook = await endpoint(client, pacc, receiver.url)
    rotated = await client.post(
        f"{ENDPOINTS}/{hook['id']}/rotate-secret", json={"overlap_hours": 1}, headers=pacc
    )
    assert rotated.status_code == 200, rotated.text
    new_secret = rotated.json()["secret"]
    assert new_secret != hook["secret"]
    assert rotated.json()["previous_secret_expires_at"] is not None
    assert "secret" not in (await client.get(f"{ENDPOINTS}/{hook['id']}", headers=pacc)).json()

    await _test_event(client, pacc, hook)
    worker = make_worker()
    assert await worker.drain() == 1
    first = receiver.received[-1]
    assert len(first.headers["webhook-signature"].split(" ")) == 2
    for secret in (hook["secret"], new_secret):
        assert Webhook(secret).verify(first.body, first.headers)["type"] == "webhook.test"

    # After the overlap only the new secret signs. (The test's clock is an hour ahead of
    # the library's now, so the signature is compared with the library's own signing.)
    clock.advance(timedelta(hours=1, seconds=1))
    await _test_event(client, pacc, hook)
    assert await worker.drain() == 1
    later = receiver.received[-1]
    sent_at = datetime.fromtimestamp(int(later.headers["webhook-timestamp"]), UTC)
    assert sent_at == clock.now().replace(microsecond=0)
    expected = Webhook(new_secret).sign(later.webhook_id, sent_at, later.body.decode())
    assert later.headers["webhook-signature"] == expected


async def test_an_https_endpoint_that_refuses_connections_is_retried(
    client: httpx.AsyncClient,
    login_as: LoginAs,
    receiver: Receiver,
    make_worker: MakeWorker,
) -> None:
    pacc = await login_as(Role.PARTNER, agency_code="PACC")
    # The receiver speaks plain http: TLS to it fails, as to any server that is not one.
    hook = await endpoint(client, pacc, receiver.url.replace("http://", "https://"))
    await _test_event(client, pacc, hook)
    assert await make_worker().drain() == 1
    (log,) = await deliveries(client, pacc, hook["id"])
    assert (log["state"], log["last_status_code"]) == ("pending", None)
    assert log["last_error"].startswith("ConnectError")
    assert receiver.received == []


async def test_a_redirect_is_not_followed(
    client: httpx.AsyncClient,
    login_as: LoginAs,
    receiver: Receiver,
    make_worker: MakeWorker,
) -> None:
    pacc = await login_as(Role.PARTNER, agency_code="PACC")
    hook = await endpoint(client, pacc, receiver.url)
    receiver.status = 307
    await _test_event(client, pacc, hook)
    assert await make_worker().drain() == 1
    assert len(receiver.arrived) == 1  # /elsewhere was never asked
    (log,) = await deliveries(client, pacc, hook["id"])
    assert (log["state"], log["last_status_code"]) == ("pending", 307)
    assert "redirects are not followed" in log["last_error"]
