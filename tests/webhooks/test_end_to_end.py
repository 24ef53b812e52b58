"""Issue 12, end to end: PACC's case system (an API client, client credentials) registers
its loopback receiver through the API; a central officer refers a case to the PACC; the
running delivery worker sends a `referral.created` that the public `standardwebhooks`
library verifies; the client accepts the referral through the API, a `referral.updated`
follows, and the investigation's timeline shows the acceptance by the client."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI
from standardwebhooks.webhooks import Webhook

from api.webhooks.delivery import DeliveryWorker
from domain.policy import Role
from tests.audit_checks import remember_secret
from tests.clients.helpers import client_token, register
from tests.conftest import LoginAs
from tests.investigations.helpers import CONFIDENTIAL, INVESTIGATIONS
from tests.investigations.test_api_referrals import SUMMARY, concluded_case, refer, report
from tests.webhooks.conftest import MakeWorker
from tests.webhooks.helpers import deliveries, endpoint
from tests.webhooks.receiver import Receiver, eventually


@asynccontextmanager
async def running(worker: DeliveryWorker) -> AsyncIterator[None]:
    """The worker's own loop (LISTEN/NOTIFY and polling) in the background meanwhile."""
    stop = asyncio.Event()
    task = asyncio.create_task(worker.run(stop))
    try:
        yield
    finally:
        stop.set()
        await task


async def test_a_referral_reaches_the_pacc_system_which_accepts_it(
    app: FastAPI,
    client: httpx.AsyncClient,
    login_as: LoginAs,
    receiver: Receiver,
    make_worker: MakeWorker,
) -> None:
    admin = await login_as(Role.ADMIN)
    central = await login_as(Role.CENTRAL_OFFICER)

    # 1. The admin registers PACC's system; it gets a token with client credentials.
    client_id, secret = await register(
        client, admin, scopes=("referrals:read", "referrals:write", "webhooks:manage")
    )
    pacc = await client_token(client, client_id, secret)

    # 2. The system registers its receiver (loopback, allow-listed for the tests).
    hook = await endpoint(
        client, pacc, receiver.url, event_types=["referral.created", "referral.updated"]
    )
    remember_secret(hook["secret"])
    assert hook["agency_code"] == "PACC"
    verifier = Webhook(hook["secret"])

    async with running(make_worker()):
        # 3. A central officer refers a concluded case to the PACC.
        case = await concluded_case(client, central)
        referred = await refer(client, central, case["id"], "PACC")
        assert referred.status_code == 201, referred.text
        referral_id = referred.json()["id"]

        # 4. A signed referral.created arrives and verifies with the public library.
        await eventually(
            lambda: bool(receiver.of_type("referral.created")), what="referral.created"
        )
        (created,) = receiver.received
        payload = verifier.verify(created.body, created.headers)
        assert payload["type"] == "referral.created"
        assert payload["id"] == created.webhook_id
        assert payload["data"]["referral_id"] == referral_id
        assert payload["data"]["investigation_id"] == case["id"]
        assert payload["data"]["status"] == "referred"
        text = created.body.decode()
        assert SUMMARY not in text
        assert not [secret for secret in CONFIDENTIAL if secret in text]

        # 5. The system accepts through the API, with its client-credentials token.
        accepted = await report(client, pacc, payload["data"]["referral_id"], "accepted")
        assert accepted.status_code == 201, accepted.text

        # 6. A signed referral.updated follows; the delivery log records both delivered
        # (the worker records an answer after it arrives: wait for that too).
        async def both_delivered() -> bool:
            log = await deliveries(client, pacc, hook["id"])
            return {(d["event_type"], d["state"]) for d in log} == {
                ("referral.created", "delivered"),
                ("referral.updated", "delivered"),
            }

        await eventually(both_delivered, what="both events delivered")
    (updated,) = receiver.of_type("referral.updated")
    data = verifier.verify(updated.body, updated.headers)["data"]
    assert (data["referral_id"], data["status"], data["previous_status"]) == (
        referral_id,
        "accepted",
        "referred",
    )
    assert updated.webhook_id != created.webhook_id
    assert len(receiver.received) == 2  # each event once

    # 7. The investigation's timeline shows the acceptance, by the client.
    timeline = await client.get(f"{INVESTIGATIONS}/{case['id']}/timeline", headers=central)
    assert timeline.status_code == 200, timeline.text
    steps = [e for e in timeline.json()["items"] if e["kind"] == "referral_updated"]
    assert [(e["referral_status"], e["actor_id"], e["actor_role"]) for e in steps] == [
        ("accepted", client_id, "client")
    ]
