"""Referrals to partner agencies: only concluded-as-referred cases, one at a time, a
declined one referred again elsewhere, partners confined to their agency's referrals."""

from __future__ import annotations

from typing import Any

import httpx

from domain.policy import Role
from tests.conftest import LoginAs, assert_problem
from tests.investigations.helpers import INVESTIGATIONS, move, opened, triaged_tip

SUMMARY = "สรุปข้อเท็จจริงสำหรับหน่วยงาน: เจ้าหน้าที่ถูกกล่าวหาว่าเรียกรับเงิน"


async def concluded_case(
    client: httpx.AsyncClient, central: dict[str, str], outcome: str = "referred"
) -> dict[str, Any]:
    tip = await triaged_tip(client, central)
    case = await opened(client, central, [tip["id"]])
    started = await move(client, case["id"], "start", central, f'"v{case["version"]}"')
    assert started.status_code == 200, started.text
    if outcome:
        done = await move(
            client, case["id"], "conclude", central, started.headers["etag"], outcome=outcome
        )
        assert done.status_code == 200, done.text
        return dict(done.json())
    return dict(started.json())


async def refer(
    client: httpx.AsyncClient, headers: dict[str, str], case_id: str, agency: str
) -> httpx.Response:
    return await client.post(
        f"{INVESTIGATIONS}/{case_id}/referrals",
        json={"agency_code": agency, "summary": SUMMARY},
        headers=headers,
    )


async def report(
    client: httpx.AsyncClient, headers: dict[str, str], referral_id: str, status: str
) -> httpx.Response:
    return await client.post(
        f"/api/v1/referrals/{referral_id}/updates",
        json={"status": status, "note": f"บันทึก {status}"},
        headers=headers,
    )


async def test_a_declined_referral_is_referred_again_elsewhere(
    client: httpx.AsyncClient, login_as: LoginAs
) -> None:
    central = await login_as(Role.CENTRAL_OFFICER)
    nacc = await login_as(Role.PARTNER, agency_code="NACC")
    dsi = await login_as(Role.PARTNER, agency_code="DSI")
    case = await concluded_case(client, central)

    first = await refer(client, central, case["id"], "NACC")
    assert first.status_code == 201, first.text
    first_id = first.json()["id"]
    assert_problem(await refer(client, central, case["id"], "DSI"), 409, "conflict")
    # Partners act on their own agency's referrals only.
    assert_problem(await report(client, dsi, first_id, "accepted"), 404)
    assert_problem(await report(client, nacc, first_id, "prosecuted"), 409, "invalid-transition")
    assert_problem(await report(client, nacc, first_id, "referred"), 422, "invalid-input")
    assert (await report(client, nacc, first_id, "received")).status_code == 201
    assert (await report(client, nacc, first_id, "declined")).status_code == 201
    assert_problem(await report(client, nacc, first_id, "accepted"), 409, "invalid-transition")

    second = await refer(client, central, case["id"], "DSI")
    assert second.status_code == 201, second.text
    second_id = second.json()["id"]
    for status in ("accepted", "in_progress", "prosecuted", "closed"):
        answer = await report(client, dsi, second_id, status)
        assert answer.status_code == 201, answer.text
    assert [u["status"] for u in answer.json()["updates"]] == [
        "referred",
        "accepted",
        "in_progress",
        "prosecuted",
        "closed",
    ]
    assert answer.json()["updates"][-1]["note"] == "บันทึก closed"

    # Each partner lists its own; central officers every agency's, and filter by agency.
    assert [
        r["id"] for r in (await client.get("/api/v1/referrals", headers=nacc)).json()["items"]
    ] == [first_id]
    everything = (await client.get("/api/v1/referrals", headers=central)).json()["items"]
    assert {r["id"] for r in everything} == {first_id, second_id}
    declined = await client.get("/api/v1/referrals", headers=central, params={"status": "declined"})
    assert [r["id"] for r in declined.json()["items"]] == [first_id]
    by_agency = await client.get(INVESTIGATIONS, headers=central, params={"agency_code": "dsi"})
    assert [i["id"] for i in by_agency.json()["items"]] == [case["id"]]
    none = await client.get(INVESTIGATIONS, headers=central, params={"agency_code": "RTP"})
    assert none.json()["items"] == []


async def test_only_cases_concluded_as_referred_go_to_active_agencies(
    client: httpx.AsyncClient, login_as: LoginAs
) -> None:
    central = await login_as(Role.CENTRAL_OFFICER)
    khon_kaen = await login_as(Role.PROVINCIAL_OFFICER, "40")
    investigator = await login_as(Role.INVESTIGATOR)
    working = await concluded_case(client, central, outcome="")
    assert_problem(await refer(client, central, working["id"], "PACC"), 409)
    unsubstantiated = await concluded_case(client, central, outcome="unsubstantiated")
    assert_problem(await refer(client, central, unsubstantiated["id"], "PACC"), 409)
    case = await concluded_case(client, central)
    assert_problem(await refer(client, central, case["id"], "NOSUCH"), 422)
    assert_problem(await refer(client, central, case["id"], "not a code"), 422)
    assert_problem(await refer(client, investigator, case["id"], "PACC"), 403)
    # A Khon Kaen case (its first tip is from 40): its office may refer it.
    referred = await refer(client, khon_kaen, case["id"], "PACC")
    assert referred.status_code == 201, referred.text
    assert_problem(await client.get("/api/v1/referrals", headers=khon_kaen), 403)
