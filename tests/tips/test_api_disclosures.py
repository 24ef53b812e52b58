"""The identity vault: who reported a tip is hidden from every role until a custodian
approves a request, and then shown to the requester alone, for that tip alone."""

from __future__ import annotations

import json
from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.policy import Role
from tests.conftest import LoginAs, assert_problem
from tests.investigations.helpers import INVESTIGATIONS, opened, triaged_tip
from tests.tips.helpers import CONTACT_PHONE

DISCLOSURES = "/api/v1/disclosure-requests"
ASKED = "ต้องสอบปากคำผู้แจ้งเพื่อยืนยันหลักฐาน"
REFUSED = "ยังไม่จำเป็น ให้สอบพยานเอกสารก่อน"
APPROVED = "จำเป็นต่อการสอบสวน"


async def read_tip(
    client: httpx.AsyncClient, tip_id: str, headers: dict[str, str]
) -> dict[str, Any]:
    response = await client.get(f"/api/v1/tips/{tip_id}", headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def hidden(record: dict[str, Any]) -> bool:
    return record["contact"] is None and record["reporter"] == {
        "kind": "volunteer",
        "disclosed": False,
        "account_id": None,
        "recorded_by": None,
    }


async def ask(client: httpx.AsyncClient, tip_id: str, headers: dict[str, str]) -> httpx.Response:
    return await client.post(
        f"/api/v1/tips/{tip_id}/disclosure-requests", json={"reason": ASKED}, headers=headers
    )


async def decide(
    client: httpx.AsyncClient, request_id: str, decision: str, reason: str, headers: dict[str, str]
) -> httpx.Response:
    return await client.post(
        f"{DISCLOSURES}/{request_id}/{decision}", json={"reason": reason}, headers=headers
    )


async def test_a_volunteers_identity_is_disclosed_only_to_an_approved_requester(
    client: httpx.AsyncClient, login_as: LoginAs, db: AsyncEngine
) -> None:
    volunteer = await login_as(Role.VOLUNTEER, "40")
    volunteer_id = volunteer["X-Test-Account-Id"]
    central = await login_as(Role.CENTRAL_OFFICER)
    custodian = await login_as(Role.CENTRAL_OFFICER)
    investigator = await login_as(Role.INVESTIGATOR)
    colleague = await login_as(Role.INVESTIGATOR)
    outsider = await login_as(Role.INVESTIGATOR)

    tip = await triaged_tip(client, central, volunteer)
    other_tip = await triaged_tip(client, central, volunteer)
    case = await opened(client, central, [tip["id"], other_tip["id"]])
    for member in (investigator, colleague):
        assigned = await client.post(
            f"{INVESTIGATIONS}/{case['id']}/assignments",
            json={"account_id": member["X-Test-Account-Id"]},
            headers=central,
        )
        assert assigned.status_code == 200, assigned.text

    # Hidden from everyone: the investigators, the central centre, the case record.
    for reader in (investigator, colleague, central, custodian):
        assert hidden(await read_tip(client, tip["id"], reader))
    case_record = await client.get(f"{INVESTIGATIONS}/{case['id']}", headers=investigator)
    assert volunteer_id not in case_record.text
    assert CONTACT_PHONE not in case_record.text

    # Outside the investigation, no request at all; a refused request reveals nothing.
    assert_problem(await ask(client, tip["id"], outsider), 404)
    first = await ask(client, tip["id"], investigator)
    assert first.status_code == 201, first.text
    assert first.json()["status"] == "pending"
    assert first.headers["location"] == f"{DISCLOSURES}/{first.json()['id']}"
    assert hidden(await read_tip(client, tip["id"], investigator))
    assert_problem(await decide(client, first.json()["id"], "approve", "x", investigator), 403)
    refused = await decide(client, first.json()["id"], "refuse", REFUSED, custodian)
    assert refused.status_code == 200, refused.text
    assert refused.json()["status"] == "refused"
    assert_problem(await decide(client, first.json()["id"], "approve", APPROVED, custodian), 409)
    assert hidden(await read_tip(client, tip["id"], investigator))
    own_view = await read_tip(client, tip["id"], volunteer)
    assert own_view["identity_disclosed"] is False

    # Approved: the requester sees who reported this tip; nobody else, no other tip.
    second = await ask(client, tip["id"], investigator)
    approved = await decide(client, second.json()["id"], "approve", APPROVED, custodian)
    assert approved.status_code == 200, approved.text
    disclosed = await read_tip(client, tip["id"], investigator)
    assert disclosed["reporter"] == {
        "kind": "volunteer",
        "disclosed": True,
        "account_id": volunteer_id,
        "recorded_by": None,
    }
    assert disclosed["contact"]["phone"] == CONTACT_PHONE
    assert hidden(await read_tip(client, other_tip["id"], investigator))
    for reader in (colleague, central, custodian):
        assert hidden(await read_tip(client, tip["id"], reader))

    # The reporter learns that their identity was disclosed, never to whom.
    own_view = await read_tip(client, tip["id"], volunteer)
    assert own_view["identity_disclosed"] is True
    shown = json.dumps(own_view)
    for account in (investigator, custodian):
        assert account["X-Test-Account-Id"] not in shown

    # A custodian never decides their own request.
    own_request = await ask(client, tip["id"], custodian)
    assert_problem(await decide(client, own_request.json()["id"], "approve", "x", custodian), 403)

    # Custodians list every request, requesters their own, with no reasons in lists.
    everything = await client.get(DISCLOSURES, headers=custodian)
    assert len(everything.json()["items"]) == 3
    pending = await client.get(DISCLOSURES, headers=custodian, params={"status": "pending"})
    assert [r["id"] for r in pending.json()["items"]] == [own_request.json()["id"]]
    mine = await client.get(DISCLOSURES, headers=investigator)
    assert {r["id"] for r in mine.json()["items"]} == {first.json()["id"], second.json()["id"]}
    assert ASKED not in mine.text
    assert (await client.get(DISCLOSURES, headers=colleague)).json()["items"] == []
    assert_problem(await client.get(f"{DISCLOSURES}/{first.json()['id']}", headers=colleague), 404)
    detail = await client.get(f"{DISCLOSURES}/{first.json()['id']}", headers=investigator)
    assert (detail.json()["reason"], detail.json()["decision_reason"]) == (ASKED, REFUSED)

    # Every request, decision and disclosure is audited, without reasons or identity.
    async with db.connect() as conn:
        audit = (
            await conn.execute(
                text(
                    "SELECT action, actor_id, details FROM audit_log "
                    "WHERE action LIKE 'tip.disclosure%' OR action = 'tip.identity_disclosed' "
                    "ORDER BY seq"
                )
            )
        ).all()
    assert [row.action for row in audit] == [
        "tip.disclosure_requested",
        "tip.disclosure_refused",
        "tip.disclosure_requested",
        "tip.disclosure_approved",
        "tip.identity_disclosed",
        "tip.disclosure_requested",
    ]
    assert audit[4].actor_id == investigator["X-Test-Account-Id"]
    audited = json.dumps([row.details for row in audit], ensure_ascii=False)
    for secret in (ASKED, REFUSED, APPROVED, volunteer_id, CONTACT_PHONE):
        assert secret not in audited


async def test_an_anonymous_reporter_hears_that_their_identity_was_disclosed(
    client: httpx.AsyncClient, login_as: LoginAs
) -> None:
    central = await login_as(Role.CENTRAL_OFFICER)
    custodian = await login_as(Role.CENTRAL_OFFICER)
    tip = await triaged_tip(client, central)  # anonymous, with contact details

    async def follow_up() -> dict[str, Any]:
        response = await client.post("/api/v1/tips/follow-up", json={"receipt": tip["receipt"]})
        body: dict[str, Any] = response.json()
        return body

    assert (await follow_up())["identity_disclosed"] is False
    request = await ask(client, tip["id"], central)
    assert (await decide(client, request.json()["id"], "approve", APPROVED, custodian)).is_success
    seen = await follow_up()
    assert seen["identity_disclosed"] is True
    assert central["X-Test-Account-Id"] not in json.dumps(seen)
    record = await read_tip(client, tip["id"], central)
    assert record["reporter"]["kind"] == "anonymous"
    assert record["contact"]["phone"] == CONTACT_PHONE
