"""The partner integration story through HTTP: an admin registers a PACC client, the
client gets tokens with client credentials, reads and updates its agency's referrals
(audited under the client on the investigation's timeline and in the audit log), is
confined to its agency and scopes, survives a secret rotation for the overlap only,
and stops at once when revoked."""

from __future__ import annotations

from datetime import timedelta

import httpx
from fastapi import FastAPI
from sqlalchemy import text

from api.services import services_of
from domain.clock import FrozenClock
from domain.policy import Role
from tests.clients.helpers import CLIENTS, client_token, register, token_response
from tests.conftest import LoginAs, assert_problem
from tests.investigations.helpers import INVESTIGATIONS
from tests.investigations.test_api_referrals import concluded_case, refer, report


async def test_a_pacc_client_reads_and_updates_its_referrals_until_revoked(
    app: FastAPI, client: httpx.AsyncClient, login_as: LoginAs, clock: FrozenClock
) -> None:
    admin = await login_as(Role.ADMIN)
    central = await login_as(Role.CENTRAL_OFFICER)
    pacc_case = await concluded_case(client, central)
    nacc_case = await concluded_case(client, central)
    pacc_referral = (await refer(client, central, pacc_case["id"], "PACC")).json()
    nacc_referral = (await refer(client, central, nacc_case["id"], "NACC")).json()

    client_id, secret = await register(client, admin)
    assert secret.startswith("dtc_")
    assert len(secret) >= 40
    granted = await token_response(client, client_id, secret)
    assert granted.status_code == 200, granted.text
    assert granted.headers["cache-control"] == "no-store"
    body = granted.json()
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 600
    assert body["scope"] == "referrals:read referrals:write"
    assert "refresh_token" not in body
    pacc = await client_token(client, client_id, secret)

    # Its agency's referrals only: the other agency's is a 404, also in lists.
    listed = await client.get("/api/v1/referrals", headers=pacc)
    assert listed.status_code == 200, listed.text
    assert [r["id"] for r in listed.json()["items"]] == [pacc_referral["id"]]
    assert (await client.get(f"/api/v1/referrals/{pacc_referral['id']}", headers=pacc)).is_success
    assert_problem(await client.get(f"/api/v1/referrals/{nacc_referral['id']}", headers=pacc), 404)
    assert_problem(await report(client, pacc, nacc_referral["id"], "accepted"), 404)

    accepted = await report(client, pacc, pacc_referral["id"], "accepted")
    assert accepted.status_code == 201, accepted.text
    assert accepted.json()["status"] == "accepted"

    # The investigation's timeline shows the update under the client.
    timeline = await client.get(f"{INVESTIGATIONS}/{pacc_case['id']}/timeline", headers=central)
    step = [e for e in timeline.json()["items"] if e["kind"] == "referral_updated"][-1]
    assert (step["actor_id"], step["actor_role"]) == (client_id, "client")
    assert step["referral_status"] == "accepted"
    # ... and so does the audit log (filtering by the client's id).
    auditor = await login_as(Role.AUDITOR)
    entries = await client.get("/api/v1/audit-log", headers=auditor, params={"actor_id": client_id})
    actions = {(e["action"], e["actor_role"]) for e in entries.json()["items"]}
    assert ("referral.updated", "client") in actions
    assert ("referral.viewed", "client") in actions
    assert ("auth.client_token_issued", "client") in actions
    verified = await client.get("/api/v1/audit-log/verify", headers=auditor)
    assert verified.json()["valid"] is True, verified.text

    # A token narrowed to referrals:read may read but not write: 403.
    reader = await client_token(client, client_id, secret, scope="referrals:read")
    assert (await client.get("/api/v1/referrals", headers=reader)).status_code == 200
    refused = assert_problem(
        await report(client, reader, pacc_referral["id"], "in_progress"), 403, "forbidden"
    )
    assert "referrals:write" in refused["detail"]
    # Nothing outside the partner actions, whatever the scopes.
    assert_problem(await client.get(INVESTIGATIONS, headers=pacc), 403)
    assert_problem(await client.get("/api/v1/me", headers=pacc), 403)
    assert_problem(await client.get(CLIENTS, headers=pacc), 403)

    # Revoked: the live token is refused at once, and no new one is issued.
    revoked = await client.post(f"{CLIENTS}/{client_id}/revoke", headers=admin)
    assert revoked.status_code == 200, revoked.text
    assert revoked.json()["is_active"] is False
    assert_problem(await client.get("/api/v1/referrals", headers=pacc), 401, "not-authenticated")
    assert_problem(await token_response(client, client_id, secret), 401, "not-authenticated")


async def test_a_rotated_secret_works_until_the_overlap_ends(
    client: httpx.AsyncClient, login_as: LoginAs, clock: FrozenClock
) -> None:
    admin = await login_as(Role.ADMIN)
    client_id, old = await register(client, admin, scopes=("referrals:read",))
    rotated = await client.post(f"{CLIENTS}/{client_id}/rotate-secret", headers=admin)
    assert rotated.status_code == 200, rotated.text
    new = rotated.json()["client_secret"]
    assert new != old
    assert new.startswith("dtc_")
    assert rotated.json()["client"]["previous_secret_expires_at"] is not None

    assert (await token_response(client, client_id, new)).status_code == 200
    clock.advance(timedelta(hours=23, minutes=59))
    assert (await token_response(client, client_id, old)).status_code == 200
    clock.advance(timedelta(minutes=1))
    assert_problem(await token_response(client, client_id, old), 401, "not-authenticated")
    assert (await token_response(client, client_id, new, in_body=True)).status_code == 200

    # An explicit end in the past drops the old secret at once (a leaked one).
    again = await client.post(
        f"{CLIENTS}/{client_id}/rotate-secret",
        json={"old_secret_valid_until": "2000-01-01T00:00:00Z"},
        headers=admin,
    )
    newest = again.json()["client_secret"]
    assert again.json()["client"]["previous_secret_expires_at"] is None
    assert_problem(await token_response(client, client_id, new), 401)
    assert (await token_response(client, client_id, newest)).status_code == 200


async def test_no_secret_is_stored_or_answered_again(
    app: FastAPI, client: httpx.AsyncClient, login_as: LoginAs
) -> None:
    admin = await login_as(Role.ADMIN)
    client_id, secret = await register(client, admin)
    for answer in (
        await client.get(CLIENTS, headers=admin),
        await client.get(f"{CLIENTS}/{client_id}", headers=admin),
    ):
        assert answer.status_code == 200, answer.text
        assert secret not in answer.text
        assert "secret_hash" not in answer.text
    engine = services_of(app).database.require_engine()
    async with engine.connect() as conn:
        row = (await conn.execute(text("SELECT * FROM api_clients"))).mappings().one()
    assert secret not in str(dict(row))
    assert len(row["secret_hash"]) == 64
