"""API clients meet webhooks: a partner agency's system (client credentials) manages its
agency's endpoints with `webhooks:manage` and polls the changes feed with
`changes:read`; both reach its own agency only (another agency's endpoint is a 404), are
refused without the scope (403), and every action is audited under the client's id."""

from __future__ import annotations

from typing import Any

import httpx
from fastapi import FastAPI

from domain.policy import Role
from tests.audit_checks import remember_secret
from tests.clients.helpers import client_token, register
from tests.conftest import LoginAs, assert_problem
from tests.investigations.test_api_referrals import concluded_case, refer
from tests.webhooks.conftest import MakeWorker
from tests.webhooks.helpers import ENDPOINTS, deliveries, endpoint
from tests.webhooks.receiver import Receiver, eventually

CHANGES = "/api/v1/referrals/changes"


async def test_a_client_manages_its_agencys_endpoints(
    app: FastAPI,
    client: httpx.AsyncClient,
    login_as: LoginAs,
    receiver: Receiver,
    make_worker: MakeWorker,
) -> None:
    admin = await login_as(Role.ADMIN)
    client_id, secret = await register(client, admin, scopes=("webhooks:manage",))
    pacc = await client_token(client, client_id, secret)
    nacc = await login_as(Role.PARTNER, agency_code="NACC")
    theirs = await endpoint(client, nacc, receiver.url)

    # Create: always for the client's own agency, whatever it names.
    hook = await endpoint(client, pacc, receiver.url, agency_code="NACC")
    remember_secret(hook["secret"])
    assert hook["agency_code"] == "PACC"
    assert hook["secret"].startswith("whsec_")
    listed = await client.get(ENDPOINTS, headers=pacc)
    assert listed.status_code == 200, listed.text
    assert [e["id"] for e in listed.json()["items"]] == [hook["id"]]

    # Read and update (If-Match), rotate the secret, send a test event.
    read = await client.get(f"{ENDPOINTS}/{hook['id']}", headers=pacc)
    assert read.status_code == 200, read.text
    updated = await client.patch(
        f"{ENDPOINTS}/{hook['id']}",
        json={"description": "PACC case system"},
        headers=pacc | {"If-Match": read.headers["etag"]},
    )
    assert updated.status_code == 200, updated.text
    assert updated.json()["description"] == "PACC case system"
    rotated = await client.post(f"{ENDPOINTS}/{hook['id']}/rotate-secret", headers=pacc)
    assert rotated.status_code == 200, rotated.text
    remember_secret(rotated.json()["secret"])
    assert rotated.json()["secret"] != hook["secret"]
    tested = await client.post(f"{ENDPOINTS}/{hook['id']}/test", headers=pacc)
    assert tested.status_code == 202, tested.text
    assert await make_worker().drain() == 1
    (delivery,) = await deliveries(client, pacc, hook["id"])
    assert delivery["webhook_id"] == tested.json()["webhook_id"]
    assert delivery["state"] == "delivered"

    # Another agency's endpoint: 404 for every operation, exactly like a missing one.
    other = f"{ENDPOINTS}/{theirs['id']}"
    assert_problem(await client.get(other, headers=pacc), 404)
    assert_problem(
        await client.patch(
            other, json={"description": "x"}, headers=pacc | {"If-Match": read.headers["etag"]}
        ),
        404,
    )
    assert_problem(await client.post(f"{other}/rotate-secret", headers=pacc), 404)
    assert_problem(await client.post(f"{other}/test", headers=pacc), 404)
    assert_problem(await client.get(f"{other}/deliveries", headers=pacc), 404)
    assert_problem(await client.post(f"{other}/disable", headers=pacc), 404)

    # Without the scope: 403 (a client with referral scopes only).
    reader_id, reader_secret = await register(client, admin, name="PACC reader")
    reader = await client_token(client, reader_id, reader_secret)
    assert_problem(await client.get(ENDPOINTS, headers=reader), 403, "forbidden")
    assert_problem(await client.get(f"{ENDPOINTS}/{hook['id']}", headers=reader), 403)
    assert_problem(await client.post(ENDPOINTS, json={"url": receiver.url}, headers=reader), 403)
    assert_problem(await client.get(CHANGES, headers=pacc), 403, "forbidden")

    # Every change is audited under the client's id, with role `client`.
    auditor = await login_as(Role.AUDITOR)
    entries = await client.get("/api/v1/audit-log", headers=auditor, params={"actor_id": client_id})
    assert entries.status_code == 200, entries.text
    actions = {
        (e["action"], e["actor_role"], e["entity_id"])
        for e in entries.json()["items"]
        if e["action"].startswith("webhook_endpoint.")
    }
    assert actions == {
        (action, "client", hook["id"])
        for action in (
            "webhook_endpoint.created",
            "webhook_endpoint.updated",
            "webhook_endpoint.secret_rotated",
            "webhook_endpoint.test_sent",
        )
    }
    verified = await client.get("/api/v1/audit-log/verify", headers=auditor)
    assert verified.json()["valid"] is True, verified.text


async def test_a_client_polls_its_agencys_changes(
    client: httpx.AsyncClient, login_as: LoginAs
) -> None:
    admin = await login_as(Role.ADMIN)
    central = await login_as(Role.CENTRAL_OFFICER)
    client_id, secret = await register(client, admin, scopes=("changes:read",))
    pacc = await client_token(client, client_id, secret)
    pacc_case = await concluded_case(client, central)
    nacc_case = await concluded_case(client, central)
    pacc_referral = (await refer(client, central, pacc_case["id"], "PACC")).json()
    await refer(client, central, nacc_case["id"], "NACC")

    # Its own agency's events only, whatever agency it names. (The feed holds events
    # back while any older transaction still runs: poll until it has caught up.)
    items: list[dict[str, Any]] = []
    cursor: str | None = None

    async def caught_up() -> bool:
        nonlocal cursor
        params = {"agency_code": "NACC"} | ({"cursor": cursor} if cursor else {})
        page = await client.get(CHANGES, headers=pacc, params=params)
        assert page.status_code == 200, page.text
        items.extend(page.json()["items"])
        cursor = page.json()["next_cursor"]
        return bool(items)

    await eventually(caught_up, within=30, what="PACC's referral.created in the feed")
    assert [(e["type"], e["agency_code"]) for e in items] == [("referral.created", "PACC")]
    assert items[0]["data"]["referral_id"] == pacc_referral["id"]
    again = await client.get(CHANGES, headers=pacc, params={"cursor": cursor})
    assert again.status_code == 200, again.text
    assert again.json()["items"] == []

    # The feed is not endpoint management, nor referrals: 403 without those scopes.
    assert_problem(await client.get(ENDPOINTS, headers=pacc), 403, "forbidden")
    assert_problem(await client.get("/api/v1/referrals", headers=pacc), 403, "forbidden")
