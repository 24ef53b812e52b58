"""Findings of the tips security review, each kept fixed by a test.

1. A volunteer's account is never written next to their tip in the audit log.
2. Reporters' messages are rate-limited and message lists are bounded.
3. Two tips cannot be linked both ways by concurrent requests.
4. An officer of an accused provincial office cannot record a tip against it.
"""

from __future__ import annotations

import asyncio

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from api.ratelimit import Budget
from domain.policy import Role
from domain.tips import use_cases
from tests.conftest import LoginAs, assert_problem, set_rate
from tests.tips.helpers import tip_body


async def _max_seq(db: AsyncEngine) -> int:
    async with db.connect() as conn:
        seq = (await conn.execute(text("SELECT coalesce(max(seq), 0) FROM audit_log"))).scalar()
    return int(seq or 0)


async def test_a_volunteer_is_never_audited_by_account_on_their_own_tip(
    client: httpx.AsyncClient, login_as: LoginAs, db: AsyncEngine
) -> None:
    volunteer = await login_as(Role.VOLUNTEER, "40")
    account_id = volunteer["X-Test-Account-Id"]
    before = await _max_seq(db)

    created = await client.post("/api/v1/tips", json=tip_body(), headers=volunteer)
    assert created.status_code == 201
    tip_id = created.json()["id"]
    assert (await client.get(f"/api/v1/tips/{tip_id}", headers=volunteer)).status_code == 200
    assert (await client.get("/api/v1/tips", headers=volunteer)).status_code == 200
    messages = f"/api/v1/tips/{tip_id}/messages"
    posted = await client.post(messages, json={"body": "ขอเพิ่มข้อมูลครับ"}, headers=volunteer)
    assert posted.status_code == 201
    assert (await client.get(messages, headers=volunteer)).status_code == 200

    async with db.connect() as conn:
        rows = (
            await conn.execute(
                text(
                    "SELECT action, actor_id, actor_role, entity_id FROM audit_log "
                    "WHERE seq > :before ORDER BY seq"
                ),
                {"before": before},
            )
        ).all()
    assert [r.action for r in rows] == [
        "tip.submitted",
        "tip.viewed",
        "tip.message_added",
        "tip.viewed",
    ]
    assert {(r.actor_id, r.actor_role, r.entity_id) for r in rows} == {("reporter", None, tip_id)}
    assert all(account_id not in repr(tuple(r)) for r in rows)

    # What an auditor would try: the volunteer's account has no entries at all.
    auditor = await login_as(Role.AUDITOR)
    listed = await client.get("/api/v1/audit-log", params={"actor_id": account_id}, headers=auditor)
    assert listed.status_code == 200
    assert listed.json()["items"] == []

    # Officials working on the same tip are still audited by account.
    officer = await login_as(Role.PROVINCIAL_OFFICER, "40")
    assert (await client.get(f"/api/v1/tips/{tip_id}", headers=officer)).status_code == 200
    async with db.connect() as conn:
        last = (
            await conn.execute(text("SELECT actor_id FROM audit_log ORDER BY seq DESC LIMIT 1"))
        ).scalar()
    assert last == officer["X-Test-Account-Id"]


async def test_reporters_messages_are_rate_limited_per_client(
    app: FastAPI, client: httpx.AsyncClient, login_as: LoginAs
) -> None:
    set_rate(app, Budget.TIP_REPORTER_MESSAGE, "2/hour")
    receipt = (await client.post("/api/v1/tips", json=tip_body())).json()["receipt"]
    url = "/api/v1/tips/follow-up/messages"
    # A wrong receipt is not a message posted (it counts against the receipt limit only).
    wrong = await client.post(url, json={"receipt": "AAAA-AAAA-AAAA-AAAA-AAAA", "body": "x"})
    assert_problem(wrong, 404)
    for _ in range(2):
        posted = await client.post(url, json={"receipt": receipt, "body": "ข้อมูลเพิ่มเติม"})
        assert posted.status_code == 201
    limited = await client.post(url, json={"receipt": receipt, "body": "ข้อมูลเพิ่มเติม"})
    assert_problem(limited, 429)
    assert "retry-after" in limited.headers

    # A volunteer posting from the same client shares the budget.
    volunteer = await login_as(Role.VOLUNTEER, "40")
    own = (await client.post("/api/v1/tips", json=tip_body(), headers=volunteer)).json()["id"]
    answer = await client.post(
        f"/api/v1/tips/{own}/messages", json={"body": "ตอบครับ"}, headers=volunteer
    )
    assert_problem(answer, 429)
    # Officials are not held back by it.
    officer = await login_as(Role.PROVINCIAL_OFFICER, "40")
    question = await client.post(
        f"/api/v1/tips/{own}/messages", json={"body": "ขอรายละเอียด"}, headers=officer
    )
    assert question.status_code == 201


async def test_a_volunteer_may_post_within_the_limit(
    app: FastAPI, client: httpx.AsyncClient, login_as: LoginAs
) -> None:
    set_rate(app, Budget.TIP_REPORTER_MESSAGE, "1/hour")
    volunteer = await login_as(Role.VOLUNTEER, "40")
    own = (await client.post("/api/v1/tips", json=tip_body(), headers=volunteer)).json()["id"]
    url = f"/api/v1/tips/{own}/messages"
    assert (await client.post(url, json={"body": "หนึ่ง"}, headers=volunteer)).status_code == 201
    assert_problem(await client.post(url, json={"body": "สอง"}, headers=volunteer), 429)


async def test_message_lists_hold_the_newest_messages_only(
    client: httpx.AsyncClient, login_as: LoginAs, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(use_cases, "MESSAGE_LIST_MAX", 3)
    officer = await login_as(Role.PROVINCIAL_OFFICER, "40")
    created = (await client.post("/api/v1/tips", json=tip_body())).json()
    tip_id, receipt = created["id"], created["receipt"]
    url = f"/api/v1/tips/{tip_id}/messages"
    for n in range(1, 4):
        assert (await client.post(url, json={"body": f"m{n}"}, headers=officer)).status_code == 201

    listed = (await client.get(url, headers=officer)).json()
    assert [m["body"] for m in listed["items"]] == ["m1", "m2", "m3"]
    assert listed["messages_truncated"] is False

    assert (await client.post(url, json={"body": "m4"}, headers=officer)).status_code == 201
    listed = (await client.get(url, headers=officer)).json()
    assert [m["body"] for m in listed["items"]] == ["m2", "m3", "m4"]
    assert listed["messages_truncated"] is True

    followed = (await client.post("/api/v1/tips/follow-up", json={"receipt": receipt})).json()
    assert [m["body"] for m in followed["messages"]] == ["m2", "m3", "m4"]
    assert followed["messages_truncated"] is True


async def test_two_tips_cannot_be_linked_both_ways_at_once(
    client: httpx.AsyncClient, login_as: LoginAs, db: AsyncEngine
) -> None:
    central = await login_as(Role.CENTRAL_OFFICER)
    a = (await client.post("/api/v1/tips", json=tip_body())).json()["id"]
    b = (await client.post("/api/v1/tips", json=tip_body())).json()["id"]
    responses = await asyncio.gather(
        client.post(
            f"/api/v1/tips/{a}/links", json={"target_id": b, "kind": "related"}, headers=central
        ),
        client.post(
            f"/api/v1/tips/{b}/links", json={"target_id": a, "kind": "related"}, headers=central
        ),
    )
    assert sorted(r.status_code for r in responses) == [201, 409]
    refused = next(r for r in responses if r.status_code == 409)
    assert_problem(refused, 409, "conflict")
    assert refused.json()["detail"] == "These tips are already linked."
    async with db.connect() as conn:
        links = (await conn.execute(text("SELECT count(*) FROM tip_links"))).scalar()
        audited = (
            await conn.execute(text("SELECT count(*) FROM audit_log WHERE action = 'tip.linked'"))
        ).scalar()
    assert links == 1
    assert audited == 1


async def test_an_officer_cannot_record_a_tip_against_their_own_office(
    client: httpx.AsyncClient, login_as: LoginAs, db: AsyncEngine
) -> None:
    officer = await login_as(Role.PROVINCIAL_OFFICER, "40")
    accused = {
        "office": "สำนักงานแรงงานจังหวัดขอนแก่น",
        "person_name": None,
        "position": "เจ้าหน้าที่",
        "is_provincial_labour_office": True,
    }
    before = await _max_seq(db)
    for channel in ("walk_in", "hotline", "web"):
        refused = await client.post(
            "/api/v1/tips", json=tip_body(channel=channel, accused=accused), headers=officer
        )
        assert_problem(refused, 409)
        assert "central" in refused.json()["detail"]
    async with db.connect() as conn:
        tips = (await conn.execute(text("SELECT count(*) FROM tips"))).scalar()
    assert tips == 0
    assert await _max_seq(db) == before

    # Another office's tip, or a tip about someone else, they still record.
    other = {**accused, "is_provincial_labour_office": False}
    ok = await client.post(
        "/api/v1/tips", json=tip_body(channel="walk_in", accused=other), headers=officer
    )
    assert ok.status_code == 201
    # The central centre records the recused tip and gets the receipt.
    central = await login_as(Role.CENTRAL_OFFICER)
    recorded = await client.post(
        "/api/v1/tips", json=tip_body(channel="hotline", accused=accused), headers=central
    )
    assert recorded.status_code == 201
    assert recorded.json()["receipt"]


@pytest.mark.parametrize(
    "contact",
    [
        {"phone": "12"},
        {"phone": "08๑๒๓๔๕๖๗๘"},
        {"phone": "call me maybe"},
        {"email": "not-an-address"},
        {"email": "a@b"},
    ],
)
async def test_contact_details_are_validated(
    client: httpx.AsyncClient, contact: dict[str, str]
) -> None:
    response = await client.post("/api/v1/tips", json=tip_body(contact=contact))
    assert_problem(response, 422)


async def test_contact_details_are_normalised(client: httpx.AsyncClient, login_as: LoginAs) -> None:
    """Read back by the officer a custodian disclosed them to (the identity vault)."""
    central = await login_as(Role.CENTRAL_OFFICER)
    custodian = await login_as(Role.CENTRAL_OFFICER)
    contact = {"name": "  ", "phone": "+66 (81) 234-5678", "email": "Reporter@Example.ORG"}
    created = await client.post("/api/v1/tips", json=tip_body(contact=contact))
    assert created.status_code == 201, created.text
    tip_url = f"/api/v1/tips/{created.json()['id']}"
    asked = await client.post(
        f"{tip_url}/disclosure-requests", json={"reason": "ติดต่อผู้แจ้ง"}, headers=central
    )
    approve = f"/api/v1/disclosure-requests/{asked.json()['id']}/approve"
    assert (await client.post(approve, json={"reason": "ok"}, headers=custodian)).is_success
    full = await client.get(tip_url, headers=central)
    assert full.json()["contact"] == {
        "name": None,
        "phone": "+66812345678",
        "email": "Reporter@example.org",
    }
    # A contact of blanks is no contact: nothing to disclose.
    blank = await client.post("/api/v1/tips", json=tip_body(contact={"name": " "}))
    nothing = await client.post(
        f"/api/v1/tips/{blank.json()['id']}/disclosure-requests",
        json={"reason": "ติดต่อผู้แจ้ง"},
        headers=central,
    )
    assert_problem(nothing, 409)
