"""Who sees which investigation: a 404 for everyone outside its scope, no content for
auditors, and lists that show exactly what a single read would."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx

from domain.clock import FrozenClock
from domain.policy import Role
from tests.conftest import LoginAs, assert_problem
from tests.investigations.helpers import EVIDENCE, INVESTIGATIONS, if_match, opened, triaged_tip
from tests.tips.test_api_access import ACCUSING_KHON_KAEN_OFFICE


async def listed(client: httpx.AsyncClient, headers: dict[str, str], **params: Any) -> list[str]:
    response = await client.get(INVESTIGATIONS, headers=headers, params=params)
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["items"]]


def every_request(case_id: str, headers: dict[str, str]) -> list[tuple[str, str, Any]]:
    """(method, path, body) of every operation on one investigation."""
    base = f"{INVESTIGATIONS}/{case_id}"
    reason = {"reason": "เหตุผล"}
    return [
        ("GET", base, None),
        ("GET", f"{base}/timeline", None),
        ("PATCH", base, {"priority": "low"}),
        ("POST", f"{base}/start", reason),
        ("POST", f"{base}/hold", reason),
        ("POST", f"{base}/conclude", {**reason, "outcome": "unsubstantiated"}),
        ("POST", f"{base}/notes", {"body": "บันทึก"}),
        ("POST", f"{base}/evidence", EVIDENCE),
        ("POST", f"{base}/assignments", {"account_id": headers["X-Test-Account-Id"]}),
        ("DELETE", f"{base}/assignments/{headers['X-Test-Account-Id']}", None),
    ]


async def assert_invisible(
    client: httpx.AsyncClient, case_id: str, headers: dict[str, str], etag: str
) -> None:
    """Every operation the role may perform answers 404; those it may not, 403."""
    for method, path, body in every_request(case_id, headers):
        response = await client.request(method, path, json=body, headers=if_match(etag, headers))
        assert response.status_code in (403, 404), (method, path, response.text)
        assert_problem(response, response.status_code)
        if method == "GET":
            assert_problem(response, 404)


async def test_outsiders_get_404_and_auditors_no_content(
    client: httpx.AsyncClient, login_as: LoginAs, clock: FrozenClock
) -> None:
    central = await login_as(Role.CENTRAL_OFFICER)
    khon_kaen = await login_as(Role.PROVINCIAL_OFFICER, "40")
    bangkok = await login_as(Role.PROVINCIAL_OFFICER, "10")
    assigned = await login_as(Role.INVESTIGATOR)
    unassigned = await login_as(Role.INVESTIGATOR)
    auditor = await login_as(Role.AUDITOR)
    partner = await login_as(Role.PARTNER, agency_code="PACC")

    # Led by Khon Kaen, but one tip accuses the Khon Kaen office itself.
    recused_tip = await triaged_tip(client, central, accused=ACCUSING_KHON_KAEN_OFFICE)
    plain_tip = await triaged_tip(client, central, province_code="40")
    recused_case = await opened(client, central, [plain_tip["id"], recused_tip["id"]])
    assert recused_case["lead_province_code"] == "40"
    clock.advance(timedelta(minutes=1))  # lists are newest first
    # An ordinary Khon Kaen case that its office runs.
    own_tip = await triaged_tip(client, khon_kaen, province_code="40")
    own_case = await opened(client, khon_kaen, [own_tip["id"]])
    await client.post(
        f"{INVESTIGATIONS}/{own_case['id']}/assignments",
        json={"account_id": assigned["X-Test-Account-Id"]},
        headers=khon_kaen,
    )

    etag = f'"v{recused_case["version"]}"'
    for outsider in (khon_kaen, bangkok, unassigned):
        await assert_invisible(client, recused_case["id"], outsider, etag)
    for outsider in (bangkok, unassigned):
        await assert_invisible(client, own_case["id"], outsider, etag)
    # The recused tip stays invisible to Khon Kaen through the case too.
    tip_read = await client.get(f"/api/v1/tips/{recused_tip['id']}", headers=khon_kaen)
    assert_problem(tip_read, 404)

    # Auditors and partners get no case content at all (their roles have no rule).
    for role_without_rule in (auditor, partner):
        for method, path, body in every_request(recused_case["id"], role_without_rule):
            response = await client.request(method, path, json=body, headers=role_without_rule)
            assert_problem(response, 403, "forbidden")
        assert_problem(await client.get(INVESTIGATIONS, headers=role_without_rule), 403)

    # Lists show exactly what single reads show.
    assert await listed(client, central) == [own_case["id"], recused_case["id"]]
    assert await listed(client, khon_kaen) == [own_case["id"]]
    assert await listed(client, khon_kaen, province_code="40") == [own_case["id"]]
    assert await listed(client, bangkok) == []
    assert await listed(client, assigned) == [own_case["id"]]
    assert await listed(client, unassigned) == []
    for viewer in (central, khon_kaen, assigned):
        read = await client.get(f"{INVESTIGATIONS}/{own_case['id']}", headers=viewer)
        assert read.status_code == 200, read.text


async def test_an_investigator_loses_the_case_and_its_tips_when_unassigned(
    client: httpx.AsyncClient, login_as: LoginAs
) -> None:
    central = await login_as(Role.CENTRAL_OFFICER)
    investigator = await login_as(Role.INVESTIGATOR)
    account_id = investigator["X-Test-Account-Id"]
    tip = await triaged_tip(client, central)
    case = await opened(client, central, [tip["id"]])
    team = f"{INVESTIGATIONS}/{case['id']}/assignments"
    assigned = await client.post(team, json={"account_id": account_id}, headers=central)
    assert assigned.json()["assignments"][0]["role"] == "member"
    assert (await client.get(f"/api/v1/tips/{tip['id']}", headers=investigator)).status_code == 200
    message = await client.post(
        f"/api/v1/tips/{tip['id']}/messages", json={"body": "ขอข้อมูลเพิ่ม"}, headers=investigator
    )
    assert message.status_code == 201

    removed = await client.delete(f"{team}/{account_id}", headers=central)
    assert removed.status_code == 200, removed.text
    assert removed.json()["assignments"] == []
    assert_problem(await client.get(f"{INVESTIGATIONS}/{case['id']}", headers=investigator), 404)
    assert_problem(await client.get(f"/api/v1/tips/{tip['id']}", headers=investigator), 404)
    assert_problem(await client.delete(f"{team}/{account_id}", headers=central), 422)


async def test_only_investigators_and_officers_of_the_case_can_be_assigned(
    client: httpx.AsyncClient, login_as: LoginAs
) -> None:
    central = await login_as(Role.CENTRAL_OFFICER)
    tip = await triaged_tip(client, central, province_code="40")
    case = await opened(client, central, [tip["id"]])
    team = f"{INVESTIGATIONS}/{case['id']}/assignments"
    for role, province in (
        (Role.VOLUNTEER, "40"),
        (Role.AUDITOR, None),
        (Role.PARTNER, None),
        (Role.PROVINCIAL_OFFICER, "10"),
    ):
        account = (await login_as(role, province))["X-Test-Account-Id"]
        response = await client.post(team, json={"account_id": account}, headers=central)
        assert_problem(response, 422, "invalid-input")
    officer = (await login_as(Role.PROVINCIAL_OFFICER, "40"))["X-Test-Account-Id"]
    lead = (await login_as(Role.INVESTIGATOR))["X-Test-Account-Id"]
    other_lead = (await login_as(Role.INVESTIGATOR))["X-Test-Account-Id"]
    for account, team_role in ((officer, "member"), (lead, "lead"), (other_lead, "lead")):
        response = await client.post(
            team, json={"account_id": account, "role": team_role}, headers=central
        )
        assert response.status_code == 200, response.text
    roles = {a["account_id"]: a["role"] for a in response.json()["assignments"]}
    assert roles == {officer: "member", lead: "member", other_lead: "lead"}
    again = await client.post(
        team, json={"account_id": other_lead, "role": "lead"}, headers=central
    )
    assert_problem(again, 409)
