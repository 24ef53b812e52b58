"""The partner's story: PACC registers its receiver, a case is referred to the PACC, and
a signed `referral.created` arrives that the public `standardwebhooks` library verifies;
PACC's update comes back as `referral.updated`, and a case concluded again while
referred as `investigation.concluded`. Nothing of the case's content travels."""

from __future__ import annotations

import httpx
from fastapi import FastAPI
from standardwebhooks.webhooks import Webhook

from domain.policy import Role
from tests.audit_checks import remember_secret
from tests.conftest import LoginAs
from tests.investigations.helpers import CONFIDENTIAL, move
from tests.investigations.test_api_referrals import SUMMARY, concluded_case, refer, report
from tests.webhooks.conftest import MakeWorker
from tests.webhooks.helpers import deliveries, endpoint
from tests.webhooks.receiver import Receiver


async def test_a_referral_to_pacc_reaches_its_receiver_signed(
    app: FastAPI,
    client: httpx.AsyncClient,
    login_as: LoginAs,
    receiver: Receiver,
    make_worker: MakeWorker,
) -> None:
    central = await login_as(Role.CENTRAL_OFFICER)
    pacc = await login_as(Role.PARTNER, agency_code="PACC")
    nacc = await login_as(Role.PARTNER, agency_code="NACC")
    hook = await endpoint(client, pacc, receiver.url, description="PACC case system")
    remember_secret(hook["secret"])  # never in the audit log
    assert hook["secret"].startswith("whsec_")
    assert hook["agency_code"] == "PACC"
    await endpoint(client, nacc, receiver.url)  # NACC's: hears nothing of PACC's case
    worker = make_worker()

    case = await concluded_case(client, central)
    referred = await refer(client, central, case["id"], "PACC")
    assert referred.status_code == 201, referred.text
    referral_id = referred.json()["id"]
    assert await worker.drain() == 1

    (created,) = receiver.received
    payload = Webhook(hook["secret"]).verify(created.body, created.headers)
    assert payload["type"] == "referral.created"
    assert payload["id"] == created.webhook_id
    assert payload["agency_code"] == "PACC"
    assert payload["data"] == {
        "referral_id": referral_id,
        "investigation_id": case["id"],
        "investigation_reference": case["reference"],
        "agency_code": "PACC",
        "status": "referred",
    }
    text = created.body.decode()
    assert SUMMARY not in text
    assert not [secret for secret in CONFIDENTIAL if secret in text]

    # PACC accepts through the API: a signed referral.updated follows.
    assert (await report(client, pacc, referral_id, "accepted")).status_code == 201
    assert await worker.drain() == 1
    updated = receiver.of_type("referral.updated")[0]
    data = Webhook(hook["secret"]).verify(updated.body, updated.headers)["data"]
    assert (data["status"], data["previous_status"]) == ("accepted", "referred")
    assert updated.webhook_id != created.webhook_id

    # Reopened and concluded again while referred: the agency hears of it.
    current = await client.get(f"/api/v1/investigations/{case['id']}", headers=central)
    reopened = await move(client, case["id"], "reopen", central, current.headers["etag"])
    assert reopened.status_code == 200, reopened.text
    done = await move(
        client, case["id"], "conclude", central, reopened.headers["etag"], outcome="referred"
    )
    assert done.status_code == 200, done.text
    assert await worker.drain() == 1
    concluded = receiver.of_type("investigation.concluded")[0]
    data = Webhook(hook["secret"]).verify(concluded.body, concluded.headers)["data"]
    assert data["investigation_status"] == "concluded"
    assert data["referral_id"] == referral_id
    assert len(receiver.received) == 3

    # The delivery log shows each one delivered on the first attempt.
    log = await deliveries(client, pacc, hook["id"])
    # (The test's clock stands still: the three share a timestamp, so their order is not
    # checked here.)
    by_type = {d["event_type"]: d for d in log}
    assert by_type.keys() == {"investigation.concluded", "referral.updated", "referral.created"}
    assert {d["state"] for d in log} == {"delivered"}
    first = by_type["referral.created"]
    assert first["webhook_id"] == created.webhook_id
    assert [(a["status_code"], a["error"]) for a in first["attempts"]] == [(200, None)]
    assert first["attempts"][0]["latency_ms"] >= 0
