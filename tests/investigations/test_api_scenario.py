"""The issue's story through the HTTP API only: two anonymous tips from two provinces, one
investigation, an investigator's note and evidence, a conclusion the reporters hear
about, a referral the PACC accepts and prosecutes, and an audit chain that verifies and
holds no case content."""

from __future__ import annotations

import json
from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.policy import Role
from tests.conftest import LoginAs, assert_problem
from tests.investigations.helpers import (
    CONFIDENTIAL,
    EVIDENCE,
    FINDINGS,
    INVESTIGATIONS,
    NOTE,
    TITLE,
    move,
    opened,
    triaged_tip,
)
from tests.tips.helpers import ACCUSED_NAME, CONTACT_PHONE, DESCRIPTION

MESSAGE = "เรื่องที่ท่านแจ้งได้ส่งต่อให้ ป.ป.ท. ดำเนินการแล้ว ขอบคุณที่แจ้งเบาะแส"
SUMMARY = "เจ้าหน้าที่จัดหางานสองจังหวัดถูกกล่าวหาว่าเรียกรับเงินค่าใบอนุญาตทำงาน พยานเอกสาร 3 รายการ"


async def follow_up(client: httpx.AsyncClient, receipt: str) -> dict[str, Any]:
    response = await client.post("/api/v1/tips/follow-up", json={"receipt": receipt})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_two_tips_one_investigation_from_opening_to_the_reporters(
    client: httpx.AsyncClient, login_as: LoginAs, db: AsyncEngine
) -> None:
    central = await login_as(Role.CENTRAL_OFFICER)
    investigator = await login_as(Role.INVESTIGATOR)
    investigator_id = investigator["X-Test-Account-Id"]
    auditor = await login_as(Role.AUDITOR)
    pacc = await login_as(Role.PARTNER, agency_code="PACC")
    nacc = await login_as(Role.PARTNER, agency_code="NACC")

    # Two anonymous tips from two provinces, triaged by the central centre.
    khon_kaen = await triaged_tip(client, central, province_code="40")
    bangkok = await triaged_tip(client, central, province_code="10")
    receipts = [khon_kaen["receipt"], bangkok["receipt"]]

    # The central officer opens one investigation on both.
    case = await opened(
        client, central, [khon_kaen["id"], bangkok["id"]], priority="high", due_on="2099-01-31"
    )
    case_id = case["id"]
    assert case["reference"].startswith("INV-25")
    assert case["reference"].endswith("-000001")
    assert case["status"] == "open"
    assert case["lead_province_code"] == "40"
    assert [t["id"] for t in case["tips"]] == [khon_kaen["id"], bangkok["id"]]
    assert {t["status"] for t in case["tips"]} == {"investigating"}
    for receipt in receipts:
        assert (await follow_up(client, receipt))["status"] == "investigating"

    # Before the assignment the investigator sees nothing; then the case and its tips.
    assert_problem(await client.get(f"{INVESTIGATIONS}/{case_id}", headers=investigator), 404)
    assert_problem(await client.get(f"/api/v1/tips/{bangkok['id']}", headers=investigator), 404)
    assigned = await client.post(
        f"{INVESTIGATIONS}/{case_id}/assignments",
        json={"account_id": investigator_id, "role": "lead"},
        headers=central,
    )
    assert assigned.status_code == 200, assigned.text
    assert assigned.json()["lead_investigator_id"] == investigator_id
    read = await client.get(f"{INVESTIGATIONS}/{case_id}", headers=investigator)
    assert read.status_code == 200
    assert read.json()["title"] == TITLE
    tip = await client.get(f"/api/v1/tips/{bangkok['id']}", headers=investigator)
    assert tip.status_code == 200
    assert tip.json()["description"] == DESCRIPTION
    listed = await client.get("/api/v1/tips", headers=investigator)
    assert {t["id"] for t in listed.json()["items"]} == {khon_kaen["id"], bangkok["id"]}
    mine = await client.get(INVESTIGATIONS, headers=investigator)
    assert [i["id"] for i in mine.json()["items"]] == [case_id]

    # The investigator starts, writes a note, logs evidence, asks a reporter something.
    started = await move(client, case_id, "start", investigator, read.headers["etag"])
    assert started.status_code == 200, started.text
    assert started.json()["status"] == "in_progress"
    note = await client.post(
        f"{INVESTIGATIONS}/{case_id}/notes", json={"body": NOTE}, headers=investigator
    )
    assert note.status_code == 201, note.text
    evidence = await client.post(
        f"{INVESTIGATIONS}/{case_id}/evidence", json=EVIDENCE, headers=investigator
    )
    assert evidence.status_code == 201, evidence.text
    assert evidence.json()["evidence"]["custodian"] == EVIDENCE["custodian"]
    question = await client.post(
        f"/api/v1/tips/{khon_kaen['id']}/messages",
        json={"body": "ช่วยส่งหลักฐานการโอนเงินเพิ่มเติมได้ไหมครับ"},
        headers=investigator,
    )
    assert question.status_code == 201, question.text

    # A stale ETag is refused; the current one concludes the case as referred.
    stale = await move(
        client, case_id, "conclude", investigator, read.headers["etag"], outcome="referred"
    )
    assert_problem(stale, 412, "precondition-failed")
    concluded = await move(
        client,
        case_id,
        "conclude",
        investigator,
        started.headers["etag"],
        outcome="referred",
        findings=FINDINGS,
        message=MESSAGE,
    )
    assert concluded.status_code == 200, concluded.text
    assert (concluded.json()["status"], concluded.json()["outcome"]) == ("concluded", "referred")
    assert concluded.json()["findings"] == FINDINGS
    again = await move(client, case_id, "hold", central, concluded.headers["etag"])
    assert_problem(again, 409, "invalid-transition")

    # The central officer refers the case to the PACC, with a summary written for it.
    referred = await client.post(
        f"{INVESTIGATIONS}/{case_id}/referrals",
        json={"agency_code": "pacc", "summary": SUMMARY},
        headers=central,
    )
    assert referred.status_code == 201, referred.text
    referral_id = referred.json()["id"]
    assert referred.headers["location"] == f"/api/v1/referrals/{referral_id}"

    # The PACC's partner account lists it, reads it, accepts it, then reports charges.
    listed_referrals = await client.get("/api/v1/referrals", headers=pacc)
    assert [r["id"] for r in listed_referrals.json()["items"]] == [referral_id]
    seen_by_pacc = await client.get(f"/api/v1/referrals/{referral_id}", headers=pacc)
    assert seen_by_pacc.status_code == 200, seen_by_pacc.text
    assert seen_by_pacc.json()["summary"] == SUMMARY
    assert seen_by_pacc.json()["investigation_reference"] == case["reference"]
    shown_to_pacc = json.dumps(seen_by_pacc.json(), ensure_ascii=False)
    for secret in [DESCRIPTION, ACCUSED_NAME, CONTACT_PHONE, *receipts, TITLE, NOTE, FINDINGS]:
        assert secret not in shown_to_pacc, secret
    for tip_id in (khon_kaen["id"], bangkok["id"]):
        assert tip_id not in shown_to_pacc
    for status, agency_note in (
        ("accepted", "รับเรื่องไว้พิจารณา"),
        ("prosecuted", "ส่งฟ้องศาลแล้ว"),
    ):
        reported = await client.post(
            f"/api/v1/referrals/{referral_id}/updates",
            json={"status": status, "note": agency_note},
            headers=pacc,
        )
        assert reported.status_code == 201, reported.text
        assert reported.json()["status"] == status
    # Another agency's partner sees nothing; no partner sees the investigation itself.
    assert_problem(await client.get(f"/api/v1/referrals/{referral_id}", headers=nacc), 404)
    assert (await client.get("/api/v1/referrals", headers=nacc)).json()["items"] == []
    assert_problem(await client.get(f"{INVESTIGATIONS}/{case_id}", headers=pacc), 403)

    # The timeline shows every step in order.
    timeline = await client.get(f"{INVESTIGATIONS}/{case_id}/timeline", headers=central)
    assert timeline.status_code == 200, timeline.text
    steps = [
        (e["kind"], e["to_status"], e["actor_id"] == investigator_id)
        for e in timeline.json()["items"]
    ]
    assert steps == [
        ("opened", "open", False),
        ("assigned", None, False),
        ("status_changed", "in_progress", True),
        ("note", None, True),
        ("evidence", None, True),
        ("status_changed", "concluded", True),
        ("referred", None, False),
        ("referral_updated", None, False),
        ("referral_updated", None, False),
    ]
    items = timeline.json()["items"]
    assert items[3]["text"] == NOTE
    assert items[5]["outcome"] == "referred"
    assert [(e["agency_code"], e["referral_status"], e["text"]) for e in items[6:]] == [
        ("PACC", "referred", None),
        ("PACC", "accepted", "รับเรื่องไว้พิจารณา"),
        ("PACC", "prosecuted", "ส่งฟ้องศาลแล้ว"),
    ]
    assert items[8]["actor_role"] == "partner"
    assert {e["referral_id"] for e in items[6:]} == {referral_id}

    # Both reporters see the outcome and the message, and nothing internal.
    for receipt in receipts:
        seen = await follow_up(client, receipt)
        assert (seen["status"], seen["outcome"]) == ("closed", "referred")
        assert seen["messages"][-1]["body"] == MESSAGE
        assert seen["messages"][-1]["author"] == "official"
        shown = json.dumps(seen, ensure_ascii=False)
        for secret in [*CONFIDENTIAL, investigator_id, case["reference"], case_id]:
            assert secret not in shown, secret
        assert [h["to_status"] for h in seen["history"]][-2:] == ["investigating", "closed"]

    # The audit chain verifies, and holds no tip content, case content or identity.
    verified = await client.get("/api/v1/audit-log/verify", headers=auditor)
    assert verified.json()["valid"] is True
    async with db.connect() as conn:
        audit = (await conn.execute(text("SELECT action, details FROM audit_log"))).all()
    actions = [row.action for row in audit]
    for expected in (
        "investigation.opened",
        "investigation.assigned",
        "investigation.started",
        "investigation.note_added",
        "investigation.evidence_added",
        "investigation.concluded",
        "investigation.viewed",
        "investigation.referred",
        "referral.viewed",
        "referral.updated",
        "tip.investigation_started",
        "tip.closed",
    ):
        assert expected in actions, expected
    audited = json.dumps([row.details for row in audit], ensure_ascii=False)
    for secret in [
        *CONFIDENTIAL,
        MESSAGE,
        SUMMARY,
        "ส่งฟ้องศาล",
        DESCRIPTION,
        ACCUSED_NAME,
        CONTACT_PHONE,
        *receipts,
    ]:
        assert secret not in audited, secret
