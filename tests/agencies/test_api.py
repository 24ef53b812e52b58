"""The partner agencies registry: seeded with the Thai agencies, read by every signed-in
role, kept by admins (If-Match), audited without contact data."""

from __future__ import annotations

import uuid

import httpx

from domain.policy import Role
from tests.accounts.helpers import audit_actions
from tests.conftest import LoginAs, assert_problem

AGENCIES = "/api/v1/agencies"


async def test_the_registry_is_seeded_with_the_thai_agencies(
    client: httpx.AsyncClient, login_as: LoginAs
) -> None:
    partner = await login_as(Role.PARTNER, agency_code="DSI")
    listed = await client.get(AGENCIES, headers=partner)
    assert listed.status_code == 200, listed.text
    codes = {agency["code"] for agency in listed.json()["items"]}
    assert {"NACC", "PACC", "DSI", "RTP", "OAG", "SAO", "DAMRONGDHAM", "GOV1111"} <= codes
    pacc = await client.get(f"{AGENCIES}/pacc", headers=partner)
    assert pacc.status_code == 200
    assert pacc.json()["name_th"].startswith("สำนักงานคณะกรรมการป้องกันและปราบปรามการทุจริตในภาครัฐ")
    assert "Public Sector Anti-Corruption" in pacc.json()["name_en"]
    assert pacc.headers["etag"] == '"v1"'
    assert_problem(await client.get(f"{AGENCIES}/NOPE", headers=partner), 404)
    assert_problem(await client.get(f"{AGENCIES}/no-such", headers=partner), 404)
    assert_problem(await client.get(AGENCIES), 401)


async def test_admins_register_and_update_agencies(
    app: object, client: httpx.AsyncClient, login_as: LoginAs
) -> None:
    admin = await login_as(Role.ADMIN)
    central = await login_as(Role.CENTRAL_OFFICER)
    code = f"T{uuid.uuid4().hex[:8].upper()}"  # agencies outlive a test: a code of its own
    body = {
        "code": code.lower(),
        "name_th": "กองตรวจราชการ กรมการจัดหางาน",
        "name_en": "Inspection Division, Department of Employment",
        "email": "Inspect@DOE.go.th",
    }
    assert_problem(await client.post(AGENCIES, json=body, headers=central), 403)
    created = await client.post(AGENCIES, json=body, headers=admin)
    assert created.status_code == 201, created.text
    assert created.json()["code"] == code
    assert created.json()["email"] == "Inspect@doe.go.th"
    assert created.headers["location"] == f"{AGENCIES}/{code}"
    assert_problem(await client.post(AGENCIES, json=body, headers=admin), 409)
    bad = {**body, "code": "1X"}
    assert_problem(await client.post(AGENCIES, json=bad, headers=admin), 422)

    url = f"{AGENCIES}/{code}"
    change = {"phone": "026452400", "is_active": False}
    assert_problem(await client.patch(url, json=change, headers=admin), 428)
    stale = {**admin, "If-Match": '"v9"'}
    assert_problem(await client.patch(url, json=change, headers=stale), 412)
    current = {**admin, "If-Match": created.headers["etag"]}
    updated = await client.patch(url, json=change, headers=current)
    assert updated.status_code == 200, updated.text
    assert (updated.json()["phone"], updated.json()["is_active"]) == ("026452400", False)
    assert updated.headers["etag"] == '"v2"'
    active = await client.get(AGENCIES, headers=central, params={"active": "true"})
    assert code not in {agency["code"] for agency in active.json()["items"]}

    entries = [e for e in await audit_actions(app) if e[1] == code]  # type: ignore[arg-type]
    assert [action for action, _, _ in entries] == ["agency.registered", "agency.updated"]
    assert entries[1][2] == {"fields": ["phone", "is_active"], "version": 2}
