"""Routing and recusal, and who sees what."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.policy import Role
from tests.conftest import LoginAs, assert_problem
from tests.tips.helpers import tip_body

ACCUSING_KHON_KAEN_OFFICE = {
    "office": "สำนักงานแรงงานจังหวัดขอนแก่น",
    "person_name": "นายผู้ถูกกล่าวหา",
    "position": "แรงงานจังหวัด",
    "is_provincial_labour_office": True,
}


async def submit(
    client: httpx.AsyncClient, headers: dict[str, str] | None = None, **overrides: Any
) -> dict[str, Any]:
    response = await client.post("/api/v1/tips", json=tip_body(**overrides), headers=headers)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def listed_ids(client: httpx.AsyncClient, headers: dict[str, str], **params: str) -> set[str]:
    response = await client.get("/api/v1/tips", headers=headers, params=params)
    assert response.status_code == 200, response.text
    return {item["id"] for item in response.json()["items"]}


async def test_a_tip_accusing_the_khon_kaen_office_is_invisible_to_khon_kaen(
    client: httpx.AsyncClient, login_as: LoginAs
) -> None:
    khon_kaen = await login_as(Role.PROVINCIAL_OFFICER, "40")
    central = await login_as(Role.CENTRAL_OFFICER)
    recused = await submit(client, accused=ACCUSING_KHON_KAEN_OFFICE)
    ordinary = await submit(client)

    assert await listed_ids(client, khon_kaen) == {ordinary["id"]}
    assert await listed_ids(client, khon_kaen, province_code="40") == {ordinary["id"]}
    assert await listed_ids(client, khon_kaen, overdue="ack") == set()
    for path in ("", "/messages"):
        response = await client.get(f"/api/v1/tips/{recused['id']}{path}", headers=khon_kaen)
        assert_problem(response, 404)
    for action in ("acknowledge", "review"):
        response = await client.post(f"/api/v1/tips/{recused['id']}/{action}", headers=khon_kaen)
        assert_problem(response, 404)
    response = await client.post(
        f"/api/v1/tips/{recused['id']}/messages", headers=khon_kaen, json={"body": "x"}
    )
    assert_problem(response, 404)
    # The 404 reads exactly like one for a tip that does not exist.
    missing = await client.get(f"/api/v1/tips/{uuid.uuid4()}", headers=khon_kaen)
    hidden = await client.get(f"/api/v1/tips/{recused['id']}", headers=khon_kaen)
    assert missing.json()["title"] == hidden.json()["title"]

    assert await listed_ids(client, central) == {recused["id"], ordinary["id"]}
    record = await client.get(f"/api/v1/tips/{recused['id']}", headers=central)
    assert record.status_code == 200
    assert record.json()["recused"] is True
    assert record.json()["province_code"] == "40"
    ack = await client.post(f"/api/v1/tips/{recused['id']}/acknowledge", headers=central)
    assert ack.status_code == 200


async def test_central_officers_reassign_a_recused_tip_to_another_province(
    client: httpx.AsyncClient, login_as: LoginAs
) -> None:
    khon_kaen = await login_as(Role.PROVINCIAL_OFFICER, "40")
    udon = await login_as(Role.PROVINCIAL_OFFICER, "41")
    central = await login_as(Role.CENTRAL_OFFICER)
    recused = await submit(client, accused=ACCUSING_KHON_KAEN_OFFICE)
    path = f"/api/v1/tips/{recused['id']}/reassign"

    assert_problem(await client.post(path, headers=khon_kaen, json={"province_code": "41"}), 403)
    back = await client.post(path, headers=central, json={"province_code": "40"})
    assert_problem(back, 422)  # never to the accused province
    unknown = await client.post(path, headers=central, json={"province_code": "99"})
    assert_problem(unknown, 422)
    moved = await client.post(path, headers=central, json={"province_code": "TH-41"})
    assert moved.status_code == 200
    assert moved.json()["province_code"] == "41"

    assert await listed_ids(client, udon) == {recused["id"]}
    assert await listed_ids(client, khon_kaen) == set()
    assert_problem(await client.get(f"/api/v1/tips/{recused['id']}", headers=khon_kaen), 404)


async def test_provincial_officers_see_only_their_province(
    client: httpx.AsyncClient, login_as: LoginAs
) -> None:
    khon_kaen = await login_as(Role.PROVINCIAL_OFFICER, "40")
    bangkok_tip = await submit(client, province_code="10")
    assert await listed_ids(client, khon_kaen) == set()
    assert await listed_ids(client, khon_kaen, province_code="10") == set()
    response = await client.get(f"/api/v1/tips/{bangkok_tip['id']}", headers=khon_kaen)
    assert_problem(response, 404)


async def test_volunteers_see_their_own_tips_as_reporters(
    client: httpx.AsyncClient, login_as: LoginAs
) -> None:
    volunteer = await login_as(Role.VOLUNTEER, "40")
    other = await login_as(Role.VOLUNTEER, "40")
    officer = await login_as(Role.PROVINCIAL_OFFICER, "40")
    mine = await submit(client, volunteer)
    assert mine["receipt"] is None  # volunteers follow up through their account
    theirs = await submit(client, other)
    anonymous = await submit(client)

    assert await listed_ids(client, volunteer) == {mine["id"]}
    view = await client.get(f"/api/v1/tips/{mine['id']}", headers=volunteer)
    assert view.status_code == 200
    assert view.json()["view"] == "reporter"
    assert "description" not in view.json()
    for hidden in (theirs, anonymous):
        assert_problem(await client.get(f"/api/v1/tips/{hidden['id']}", headers=volunteer), 404)

    # The officer writes, adds an internal note; the volunteer sees only the message.
    path = f"/api/v1/tips/{mine['id']}/messages"
    await client.post(path, headers=officer, json={"body": "ได้รับเรื่องแล้ว"})
    await client.post(path, headers=officer, json={"body": "ภายใน", "internal": True})
    seen = (await client.get(path, headers=volunteer)).json()["items"]
    assert [m["body"] for m in seen] == ["ได้รับเรื่องแล้ว"]
    assert seen[0]["author_account_id"] is None
    reply = await client.post(path, headers=volunteer, json={"body": "ขอบคุณครับ"})
    assert reply.status_code == 201
    assert reply.json()["author"] == "reporter"
    note = await client.post(path, headers=volunteer, json={"body": "x", "internal": True})
    assert_problem(note, 403)
    officials_view = (await client.get(path, headers=officer)).json()["items"]
    assert [m["author"] for m in officials_view] == ["official", "official", "reporter"]
    assert officials_view[0]["author_account_id"] == officer["X-Test-Account-Id"]
    assert officials_view[2]["author_account_id"] is None

    record = (await client.get(f"/api/v1/tips/{mine['id']}", headers=officer)).json()
    # The officer learns a volunteer reported it, not which one (the identity vault).
    assert record["reporter"] == {
        "kind": "volunteer",
        "disclosed": False,
        "account_id": None,
        "recorded_by": None,
    }
    # Volunteers cannot triage, not even their own tip.
    ack = await client.post(f"/api/v1/tips/{mine['id']}/acknowledge", headers=volunteer)
    assert_problem(ack, 403)


@pytest.mark.parametrize("role", [Role.AUDITOR, Role.PARTNER])
async def test_auditors_and_partners_have_no_tip_access(
    client: httpx.AsyncClient, login_as: LoginAs, role: Role
) -> None:
    headers = await login_as(role)
    tip = await submit(client)
    assert_problem(await client.get("/api/v1/tips", headers=headers), 403)
    assert_problem(await client.get(f"/api/v1/tips/{tip['id']}", headers=headers), 403)
    response = await client.post("/api/v1/tips", json=tip_body(), headers=headers)
    assert_problem(response, 403)


async def test_investigators_see_no_tip_outside_their_investigations(
    client: httpx.AsyncClient, login_as: LoginAs
) -> None:
    investigator = await login_as(Role.INVESTIGATOR)
    tip = await submit(client)
    assert await listed_ids(client, investigator) == set()
    assert_problem(await client.get(f"/api/v1/tips/{tip['id']}", headers=investigator), 404)


async def test_anonymous_callers_cannot_read(client: httpx.AsyncClient) -> None:
    tip = await submit(client)
    response = await client.get(f"/api/v1/tips/{tip['id']}")
    assert_problem(response, 401)
    assert response.headers["www-authenticate"] == "Bearer"
    assert_problem(await client.get("/api/v1/tips"), 401)


async def test_hotline_and_walk_in_are_recorded_by_officials_only(
    client: httpx.AsyncClient, login_as: LoginAs
) -> None:
    volunteer = await login_as(Role.VOLUNTEER, "40")
    khon_kaen = await login_as(Role.PROVINCIAL_OFFICER, "40")
    central = await login_as(Role.CENTRAL_OFFICER)
    for channel in ("hotline", "walk_in"):
        anon = await client.post("/api/v1/tips", json=tip_body(channel=channel))
        assert_problem(anon, 403)
        vol = await client.post("/api/v1/tips", json=tip_body(channel=channel), headers=volunteer)
        assert_problem(vol, 403)
    recorded = await submit(client, khon_kaen, channel="hotline")
    assert recorded["receipt"]  # for the caller on the phone, to follow up
    elsewhere = await client.post(
        "/api/v1/tips", json=tip_body(channel="walk_in", province_code="10"), headers=khon_kaen
    )
    assert_problem(elsewhere, 403)
    await submit(client, central, channel="walk_in", province_code="10")
    record = (await client.get(f"/api/v1/tips/{recorded['id']}", headers=khon_kaen)).json()
    assert record["channel"] == "hotline"
    assert record["reporter"]["kind"] == "recorded"
    assert record["reporter"]["recorded_by"] is None  # in the identity vault


async def test_a_signed_in_receipt_holder_is_still_recorded_as_anonymous(
    client: httpx.AsyncClient, login_as: LoginAs, db: AsyncEngine
) -> None:
    volunteer = await login_as(Role.VOLUNTEER, "40")
    receipt = (await submit(client))["receipt"]
    response = await client.post(
        "/api/v1/tips/follow-up", json={"receipt": receipt}, headers=volunteer
    )
    assert response.status_code == 200
    async with db.connect() as conn:
        actors = (
            (
                await conn.execute(
                    text("SELECT actor_id FROM audit_log WHERE action = 'tip.followed_up'")
                )
            )
            .scalars()
            .all()
        )
    assert actors == ["anonymous"]
