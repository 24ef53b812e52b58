"""Volunteer registry: scope, validation, conflicts, ETags, lists, activation, rate limits."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine

from api.app import create_app
from api.services import services_of
from api.settings import Settings
from domain.clock import FrozenClock
from domain.policy import Role
from domain.volunteers.identity import BANGKOK
from persistence.uow import SqlUnitOfWork
from tests.conftest import LoginAs, assert_problem
from tests.volunteers.helpers import (
    application,
    apply,
    approve,
    assert_absent,
    audit_entries,
    national_id,
    raw_database_text,
)

PASSWORD = "a long enough passphrase"


# -- scope -------------------------------------------------------------------------------


async def test_provincial_officer_of_40_cannot_see_a_volunteer_of_10(
    client: httpx.AsyncClient, login_as: LoginAs
) -> None:
    bangkok = await apply(client, province_code="10", full_name_th="นางสาวกรุงเทพ ทดสอบ")
    khon_kaen = await apply(client, province_code="40", full_name_th="นายขอนแก่น ทดสอบ")
    officer = await login_as(Role.PROVINCIAL_OFFICER, "40")

    assert_problem(await client.get(f"/api/v1/volunteers/{bangkok}", headers=officer), 404)
    for verb in ("approve", "reject", "suspend", "reinstate", "retire"):
        response = await client.post(
            f"/api/v1/volunteers/{bangkok}/{verb}", json={"reason": "x"}, headers=officer
        )
        assert_problem(response, 404)
    assert_problem(
        await client.patch(
            f"/api/v1/volunteers/{bangkok}",
            json={"district": "x"},
            headers=officer | {"If-Match": '"v1"'},
        ),
        404,
    )

    listed = await client.get("/api/v1/volunteers", headers=officer)
    assert [item["id"] for item in listed.json()["items"]] == [khon_kaen]
    asked_for_10 = await client.get("/api/v1/volunteers?province_code=10", headers=officer)
    assert asked_for_10.json()["items"] == []

    assert (await client.get(f"/api/v1/volunteers/{khon_kaen}", headers=officer)).status_code == 200

    central = await login_as(Role.CENTRAL_OFFICER)
    everyone = await client.get("/api/v1/volunteers", headers=central)
    assert {item["id"] for item in everyone.json()["items"]} == {bangkok, khon_kaen}


@pytest.mark.parametrize("role", [Role.AUDITOR, Role.INVESTIGATOR, Role.VOLUNTEER, Role.PARTNER])
async def test_other_roles_may_not_manage_volunteers(
    client: httpx.AsyncClient, login_as: LoginAs, role: Role
) -> None:
    volunteer_id = await apply(client)
    headers = await login_as(role, "40" if role is Role.VOLUNTEER else None)
    assert_problem(await client.get("/api/v1/volunteers", headers=headers), 403)
    assert_problem(await client.get(f"/api/v1/volunteers/{volunteer_id}", headers=headers), 403)
    assert_problem(
        await client.post(
            f"/api/v1/volunteers/{volunteer_id}/approve", json={"reason": "x"}, headers=headers
        ),
        403,
    )


async def test_anonymous_callers_only_apply_and_activate(client: httpx.AsyncClient) -> None:
    volunteer_id = await apply(client)
    assert_problem(await client.get("/api/v1/volunteers"), 401)
    assert_problem(await client.get(f"/api/v1/volunteers/{volunteer_id}"), 401)
    assert_problem(await client.get("/api/v1/me/volunteer"), 401)
    assert_problem(await client.get("/api/v1/me/volunteer/export"), 401)


async def test_officers_have_no_own_volunteer_profile(
    client: httpx.AsyncClient, login_as: LoginAs
) -> None:
    officer = await login_as(Role.PROVINCIAL_OFFICER, "40")
    assert_problem(await client.get("/api/v1/me/volunteer", headers=officer), 403)
    volunteer = await login_as(Role.VOLUNTEER, "40")  # an account with no profile
    assert_problem(await client.get("/api/v1/me/volunteer", headers=volunteer), 404)


# -- application validation and duplicates -----------------------------------------------


async def test_invalid_check_digit_is_422(client: httpx.AsyncClient) -> None:
    nid = national_id()
    wrong = nid[:12] + str((int(nid[12]) + 1) % 10)
    response = await client.post(
        "/api/v1/volunteers/applications", json=application(national_id=wrong)
    )
    body = assert_problem(response, 422)
    assert "check digit" in body["detail"]
    assert wrong not in response.text


@pytest.mark.parametrize(
    "overrides",
    [
        {"national_id": "12345"},
        {"date_of_birth": "2015-01-01"},
        {"phone": "021234567"},
        {"email": "not-an-email"},
        {"full_name_th": "Somchai"},
        {"full_name_th": ""},
        {"province_code": "99"},
        {"province_code": "TH-40"},
        {"unexpected": "field"},
    ],
)
async def test_invalid_applications_are_422(
    client: httpx.AsyncClient, overrides: dict[str, Any]
) -> None:
    response = await client.post("/api/v1/volunteers/applications", json=application(**overrides))
    assert_problem(response, 422)


async def test_a_registered_national_id_is_answered_like_any_other_and_flagged_for_officers(
    client: httpx.AsyncClient, login_as: LoginAs
) -> None:
    """No oracle: the public form answers a registered ID exactly as a new one."""
    nid = national_id()
    first = await apply(client, national_id=nid, province_code="10", full_name_th="นางมาลี ดีใจ")
    officer = await login_as(Role.CENTRAL_OFFICER)
    await approve(client, first, officer)

    url = "/api/v1/volunteers/applications"
    formatted = f"{nid[0]}-{nid[1:5]}-{nid[5:10]}-{nid[10:12]}-{nid[12]}"
    duplicate = await client.post(url, json=application(national_id=formatted))
    fresh = await client.post(url, json=application())
    for response in (duplicate, fresh):
        assert response.status_code == 201, response.text
    assert set(duplicate.headers) == set(fresh.headers)
    one, other = duplicate.json(), fresh.json()
    assert set(one) == set(other) == {"id", "status", "province_code", "national_id_masked"}
    assert (one["status"], one["province_code"]) == (other["status"], other["province_code"])
    for leak in (first, "active", '"10"', "มาลี", "duplicate"):
        assert leak not in duplicate.text.replace(one["id"], "")

    # Officers see the flag: on the record, and in lists.
    flagged = await client.get(f"/api/v1/volunteers/{one['id']}", headers=officer)
    assert flagged.json()["duplicate_of"] == first
    original = await client.get(f"/api/v1/volunteers/{first}", headers=officer)
    assert original.json()["duplicate_of"] is None
    listed = await client.get("/api/v1/volunteers", headers=officer)
    flags = {item["id"]: item["possible_duplicate"] for item in listed.json()["items"]}
    assert flags == {first: False, one["id"]: True, other["id"]: False}


async def test_same_idempotency_key_with_another_body_is_refused(
    client: httpx.AsyncClient,
) -> None:
    headers = {"Idempotency-Key": "idem-key-0123456789"}
    first = await client.post(
        "/api/v1/volunteers/applications", json=application(), headers=headers
    )
    assert first.status_code == 201
    assert "Idempotent-Replayed" not in first.headers
    other = await client.post(
        "/api/v1/volunteers/applications", json=application(), headers=headers
    )
    assert_problem(other, 422)


async def test_applications_are_rate_limited_per_client(
    db: AsyncEngine, settings: Settings, limits_follow_clock: FrozenClock
) -> None:
    clock = limits_follow_clock
    tight = settings.model_copy(update={"volunteer_application_rate": "2/hour"})
    app = create_app(tight, clock=clock)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            for _ in range(2):
                ok = await c.post("/api/v1/volunteers/applications", json=application())
                assert ok.status_code == 201
            limited = await c.post("/api/v1/volunteers/applications", json=application())
            assert_problem(limited, 429)
            retry_after = int(limited.headers["Retry-After"])
            assert 3600 <= retry_after <= 3601
            clock.advance(timedelta(seconds=retry_after))  # waiting as told is enough
            again = await c.post("/api/v1/volunteers/applications", json=application())
            assert again.status_code == 201


# -- transitions, ETags, moves -----------------------------------------------------------


async def test_illegal_transitions_are_409(client: httpx.AsyncClient, login_as: LoginAs) -> None:
    officer = await login_as(Role.PROVINCIAL_OFFICER, "40")
    volunteer_id = await apply(client)
    for verb in ("suspend", "reinstate", "retire"):
        response = await client.post(
            f"/api/v1/volunteers/{volunteer_id}/{verb}", json={"reason": "x"}, headers=officer
        )
        assert_problem(response, 409, "invalid-transition")
    rejected = await client.post(
        f"/api/v1/volunteers/{volunteer_id}/reject", json={"reason": "ไม่ผ่าน"}, headers=officer
    )
    assert rejected.json()["status"] == "rejected"
    assert_problem(
        await client.post(
            f"/api/v1/volunteers/{volunteer_id}/approve", json={"reason": "x"}, headers=officer
        ),
        409,
    )
    assert_problem(
        await client.post(f"/api/v1/volunteers/{volunteer_id}/pledge", json={}, headers=officer),
        409,
    )
    assert_problem(
        await client.post(
            f"/api/v1/volunteers/{volunteer_id}/approve", json={"reason": ""}, headers=officer
        ),
        422,
    )


async def test_the_pledge_body_may_be_left_out(
    client: httpx.AsyncClient, login_as: LoginAs, clock: FrozenClock
) -> None:
    officer = await login_as(Role.PROVINCIAL_OFFICER, "40")
    volunteer_id = await apply(client)
    await approve(client, volunteer_id, officer)
    pledged = await client.post(f"/api/v1/volunteers/{volunteer_id}/pledge", headers=officer)
    assert pledged.status_code == 200, pledged.text
    assert pledged.json()["pledged_on"] == clock.now().astimezone(BANGKOK).date().isoformat()
    assert pledged.headers["ETag"] == f'"v{pledged.json()["version"]}"'


async def test_patch_needs_a_fresh_etag(client: httpx.AsyncClient, login_as: LoginAs) -> None:
    officer = await login_as(Role.PROVINCIAL_OFFICER, "40")
    volunteer_id = await apply(client)
    url = f"/api/v1/volunteers/{volunteer_id}"
    read = await client.get(url, headers=officer)
    etag = read.headers["ETag"]
    assert etag == '"v1"'

    assert_problem(await client.patch(url, json={"district": "บ้านไผ่"}, headers=officer), 428)
    assert_problem(
        await client.patch(url, json={"district": "บ้านไผ่"}, headers=officer | {"If-Match": "x"}),
        412,
    )

    patched = await client.patch(
        url,
        json={"district": "บ้านไผ่", "phone": "+66 98 765 4321", "email": None},
        headers=officer | {"If-Match": etag},
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["phone"] == "+66987654321"
    assert patched.json()["email"] is None
    assert patched.json()["version"] == 2
    assert patched.headers["ETag"] == '"v2"'

    stale = await client.patch(url, json={"district": "ชุมแพ"}, headers=officer | {"If-Match": etag})
    assert_problem(stale, 412)
    assert_problem(
        await client.patch(url, json={"phone": "123"}, headers=officer | {"If-Match": '"v2"'}), 422
    )
    assert_problem(
        await client.patch(url, json={"phone": None}, headers=officer | {"If-Match": '"v2"'}), 422
    )

    # Every change bumps the version, transitions included.
    await approve(client, volunteer_id, officer)
    assert (await client.get(url, headers=officer)).headers["ETag"] == '"v3"'


async def test_moving_province_is_a_central_action(
    client: httpx.AsyncClient,
    login_as: LoginAs,
    db: AsyncEngine,
    app: FastAPI,
    clock: FrozenClock,
) -> None:
    officer = await login_as(Role.PROVINCIAL_OFFICER, "40")
    central = await login_as(Role.CENTRAL_OFFICER)
    volunteer_id = await apply(client)
    account_code = await approve(client, volunteer_id, officer)
    assert account_code
    url = f"/api/v1/volunteers/{volunteer_id}"
    etag = (await client.get(url, headers=officer)).headers["ETag"]

    assert_problem(
        await client.patch(url, json={"province_code": "10"}, headers=officer | {"If-Match": etag}),
        403,
    )
    moved = await client.patch(
        url, json={"province_code": "10"}, headers=central | {"If-Match": etag}
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["province_code"] == "10"
    assert_problem(await client.get(url, headers=officer), 404)

    # The volunteer's account moves along (a provincial role carries its province).
    account_id = moved.json()["account_id"]
    async with SqlUnitOfWork(services_of(app).database.sessions(), clock=clock) as uow:
        account = await uow.accounts.get(uuid.UUID(account_id))
    assert account is not None
    assert account.province_code == "10"

    entries = await audit_entries(db, volunteer_id)
    assert entries[-1]["action"] == "volunteer.moved"
    assert entries[-1]["details"] == {"from_province": "40", "to_province": "10"}


async def test_admin_sees_the_full_national_id_and_the_read_is_audited(
    client: httpx.AsyncClient, login_as: LoginAs, db: AsyncEngine
) -> None:
    nid = national_id()
    volunteer_id = await apply(client, national_id=nid)
    officer = await login_as(Role.CENTRAL_OFFICER)
    as_officer = (await client.get(f"/api/v1/volunteers/{volunteer_id}", headers=officer)).json()
    assert as_officer["national_id"] is None
    assert as_officer["national_id_masked"] == "*********" + nid[-4:]
    assert [e["action"] for e in await audit_entries(db, volunteer_id)] == ["volunteer.applied"]

    admin = await login_as(Role.ADMIN)
    as_admin = await client.get(f"/api/v1/volunteers/{volunteer_id}", headers=admin)
    assert as_admin.json()["national_id"] == nid
    viewed = (await audit_entries(db, volunteer_id))[-1]
    assert viewed["action"] == "volunteer.viewed"
    assert viewed["actor_id"] == admin["X-Test-Account-Id"]
    assert viewed["details"] == {"fields": ["national_id"]}


# -- lists -------------------------------------------------------------------------------


async def test_list_filters_search_and_pages(
    client: httpx.AsyncClient, login_as: LoginAs, clock: FrozenClock
) -> None:
    officer = await login_as(Role.PROVINCIAL_OFFICER, "40")
    names = ["นายสมชาย ใจดี", "นางสาวสมหญิง รักงาน", "นายมานะ สมชายวงศ์", "นายปิติ ยินดี"]
    ids = []
    for name in names:
        ids.append(await apply(client, full_name_th=name, full_name_en=None))
        clock.advance(timedelta(minutes=1))
    # Two applications at the very same instant: the id breaks the tie.
    ids.append(await apply(client, full_name_th="นายชูใจ หนึ่ง", full_name_en="Chujai One"))
    ids.append(await apply(client, full_name_th="นายชูใจ สอง", full_name_en="Chujai Two"))
    await approve(client, ids[0], officer)
    await client.post(
        f"/api/v1/volunteers/{ids[0]}/trainings",
        json={"course_title": "อบรม", "held_on": "2026-01-10", "hours": 3},
        headers=officer,
    )

    async def listed(query: str) -> list[str]:
        response = await client.get(f"/api/v1/volunteers?{query}", headers=officer)
        assert response.status_code == 200, response.text
        return [item["id"] for item in response.json()["items"]]

    # Thai substring search, no word splitting: "สมชาย" inside "นายสมชาย" and "สมชายวงศ์".
    assert set(await listed("q=สมชาย")) == {ids[0], ids[2]}
    assert await listed("q=Somchai") == []
    assert set(await listed("q=chujai")) == set(ids[4:])  # English names, any case
    assert await listed("q=50%25") == []  # LIKE wildcards are literal
    assert await listed("status=active") == [ids[0]]
    assert await listed("trained=true") == [ids[0]]
    assert ids[0] not in await listed("trained=false")
    assert await listed("status=applied&q=มานะ") == [ids[2]]

    everything = await listed("limit=200")
    assert everything[:4] == [*sorted(ids[4:], reverse=True), ids[3], ids[2]]
    assert len(everything) == 6

    seen: list[str] = []
    cursor = None
    while True:
        query = "limit=2" + (f"&cursor={cursor}" if cursor else "")
        page = (await client.get(f"/api/v1/volunteers?{query}", headers=officer)).json()
        seen.extend(item["id"] for item in page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == everything

    item = (await client.get("/api/v1/volunteers?limit=1", headers=officer)).json()["items"][0]
    assert set(item) == {
        "id",
        "full_name_th",
        "full_name_en",
        "province_code",
        "district",
        "status",
        "trained",
        "applied_at",
        "possible_duplicate",
    }


@pytest.mark.parametrize(
    "query", ["limit=0", "limit=201", "cursor=garbage", "status=unknown", "trained=maybe"]
)
async def test_list_rejects_bad_parameters(
    client: httpx.AsyncClient, login_as: LoginAs, query: str
) -> None:
    officer = await login_as(Role.CENTRAL_OFFICER)
    assert_problem(await client.get(f"/api/v1/volunteers?{query}", headers=officer), 422)


# -- activation --------------------------------------------------------------------------


async def test_activation_failures_reveal_nothing_and_are_rate_limited(
    client: httpx.AsyncClient, login_as: LoginAs, limits_follow_clock: FrozenClock
) -> None:
    clock = limits_follow_clock
    officer = await login_as(Role.PROVINCIAL_OFFICER, "40")
    taken = await login_as(Role.CENTRAL_OFFICER)
    assert taken
    code = await approve(client, await apply(client), officer)

    def body(**overrides: str) -> dict[str, str]:
        return {"activation_code": code, "username": "new.volunteer", "password": PASSWORD} | (
            overrides
        )

    url = "/api/v1/volunteers/activate"
    assert_problem(await client.post(url, json=body(password="short")), 422)
    assert_problem(await client.post(url, json=body(username="x")), 422)

    wrong = await client.post(url, json=body(activation_code="AAAA-BBBB-CCCC-DDDD-EEEE-FFFF"))
    assert assert_problem(wrong, 404)["detail"].startswith("The activation code is not valid")

    # Expired codes look exactly like wrong ones.
    clock.advance(timedelta(days=14, seconds=1))
    expired = await client.post(url, json=body())
    assert assert_problem(expired, 404)["detail"] == wrong.json()["detail"]
    clock.advance(timedelta(days=-14, seconds=-2))

    # Ten failures in a moving window of 15 minutes, then even the right code waits. (The
    # two failures above may or may not still count: the clock went 14 days ahead and back,
    # and the limiter sweeps expired entries at most once a second, so whether it dropped
    # the first one meanwhile depends on timing; time never goes back in production.)
    statuses = [
        (await client.post(url, json=body(activation_code="WRONG"))).status_code for _ in range(10)
    ]
    assert statuses[:8] == [404] * 8
    assert set(statuses[8:]) <= {404, 429}
    limited = await client.post(url, json=body())
    assert_problem(limited, 429)
    clock.advance(timedelta(minutes=15))
    ok = await client.post(url, json=body(username=code.lower()[:4] + "-vol"))
    assert ok.status_code == 200, ok.text


async def test_username_taken_is_409_and_keeps_the_code(
    client: httpx.AsyncClient, login_as: LoginAs, app: FastAPI
) -> None:
    officer = await login_as(Role.PROVINCIAL_OFFICER, "40")
    first = await approve(client, await apply(client), officer)
    second = await approve(client, await apply(client), officer)
    url = "/api/v1/volunteers/activate"
    # A stale Authorization header (an app that always sends one) is ignored here.
    done = await client.post(
        url,
        json={"activation_code": first, "username": "somchai", "password": PASSWORD},
        headers={"Authorization": "Bearer not-a-valid-token"},
    )
    assert done.status_code == 200
    clash = await client.post(
        url, json={"activation_code": second, "username": "SomChai", "password": PASSWORD}
    )
    assert_problem(clash, 409)
    retry = await client.post(
        url, json={"activation_code": second, "username": "somchai2", "password": PASSWORD}
    )
    assert retry.status_code == 200


# -- own profile ------------------------------------------------------------------------


async def test_volunteer_updates_own_contact_details_only(
    client: httpx.AsyncClient, login_as: LoginAs, app: FastAPI, clock: FrozenClock
) -> None:
    from tests.volunteers.helpers import sign_in

    officer = await login_as(Role.PROVINCIAL_OFFICER, "40")
    code = await approve(client, await apply(client), officer)
    await client.post(
        "/api/v1/volunteers/activate",
        json={"activation_code": code, "username": "mana.vol", "password": PASSWORD},
    )
    me = await sign_in(client, "mana.vol", PASSWORD)
    read = await client.get("/api/v1/me/volunteer", headers=me)
    etag = read.headers["ETag"]
    assert_problem(
        await client.patch("/api/v1/me/volunteer", json={"district": "x"}, headers=me), 428
    )
    assert_problem(
        await client.patch(
            "/api/v1/me/volunteer",
            json={"province_code": "10"},
            headers=me | {"If-Match": etag},
        ),
        422,
    )
    assert_problem(
        await client.patch(
            "/api/v1/me/volunteer",
            json={"full_name_th": "นายอื่น"},
            headers=me | {"If-Match": etag},
        ),
        422,
    )
    updated = await client.patch(
        "/api/v1/me/volunteer",
        json={"phone": "0912345678", "occupation": "เกษตรกร"},
        headers=me | {"If-Match": etag},
    )
    assert updated.status_code == 200, updated.text
    assert updated.json()["phone"] == "+66912345678"
    assert updated.headers["ETag"] != etag


async def test_raw_rows_never_hold_the_plain_national_id(
    client: httpx.AsyncClient, login_as: LoginAs, db: AsyncEngine
) -> None:
    nid = national_id()
    volunteer_id = await apply(client, national_id=nid)
    admin = await login_as(Role.ADMIN)
    await client.get(f"/api/v1/volunteers/{volunteer_id}", headers=admin)
    headers = {"Idempotency-Key": "raw-rows-0123456789"}
    dup = await client.post(
        "/api/v1/volunteers/applications", json=application(national_id=nid), headers=headers
    )
    assert dup.status_code == 201
    dump = await raw_database_text(db)
    assert volunteer_id in dump
    assert_absent(dump, nid)
    assert nid[-4:] in dump  # the masked part, kept for display


async def test_a_retried_approval_returns_the_same_code(
    client: httpx.AsyncClient, login_as: LoginAs
) -> None:
    officer = await login_as(Role.PROVINCIAL_OFFICER, "40")
    volunteer_id = await apply(client)
    url = f"/api/v1/volunteers/{volunteer_id}/approve"
    headers = officer | {"Idempotency-Key": "approve-0123456789abcdef"}
    first = await client.post(url, json={"reason": "ok"}, headers=headers)
    assert first.status_code == 200
    retry = await client.post(url, json={"reason": "ok"}, headers=headers)
    assert retry.status_code == 200
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert retry.json()["activation_code"] == first.json()["activation_code"]
    assert retry.json()["account_id"] == first.json()["account_id"]
    # Without the key, approving again is an illegal transition.
    assert_problem(await client.post(url, json={"reason": "ok"}, headers=officer), 409)
    # Another officer's identical key is not a replay.
    other = await login_as(Role.PROVINCIAL_OFFICER, "40")
    assert_problem(
        await client.post(
            url,
            json={"reason": "ok"},
            headers=other | {"Idempotency-Key": "approve-0123456789abcdef"},
        ),
        409,
    )
    activated = await client.post(
        "/api/v1/volunteers/activate",
        json={
            "activation_code": retry.json()["activation_code"],
            "username": "replayed.code",
            "password": PASSWORD,
        },
    )
    assert activated.status_code == 200


async def test_erasure_later_for_retired_and_rejected(
    client: httpx.AsyncClient, login_as: LoginAs, db: AsyncEngine
) -> None:
    officer = await login_as(Role.PROVINCIAL_OFFICER, "40")
    retired_nid, rejected_nid = national_id(), national_id()
    retired = await apply(client, national_id=retired_nid)
    rejected = await apply(client, national_id=rejected_nid)
    active = await apply(client)
    await approve(client, retired, officer)
    await approve(client, active, officer)
    await client.post(
        f"/api/v1/volunteers/{retired}/retire", json={"reason": "ลาออก"}, headers=officer
    )
    await client.post(
        f"/api/v1/volunteers/{rejected}/reject", json={"reason": "ไม่ผ่าน"}, headers=officer
    )

    assert_problem(await client.post(f"/api/v1/volunteers/{active}/erase", headers=officer), 409)
    for volunteer_id in (retired, rejected):
        erased = await client.post(f"/api/v1/volunteers/{volunteer_id}/erase", headers=officer)
        assert erased.status_code == 200, erased.text
        assert erased.json()["erased"] is True
        assert erased.json()["national_id_masked"] is None
        assert_problem(
            await client.post(f"/api/v1/volunteers/{volunteer_id}/erase", headers=officer), 409
        )
        actions = [e["action"] for e in await audit_entries(db, volunteer_id)]
        assert actions[-1] == "volunteer.erased"
    assert (await client.get(f"/api/v1/volunteers/{rejected}", headers=officer)).json()[
        "status"
    ] == "rejected"
    dump = await raw_database_text(db)
    assert_absent(dump, retired_nid)
    assert_absent(dump, rejected_nid)


async def test_two_applications_with_one_national_id_at_once_flag_exactly_one(
    client: httpx.AsyncClient, login_as: LoginAs
) -> None:
    nid = national_id()
    url = "/api/v1/volunteers/applications"
    answers = await asyncio.gather(
        *(client.post(url, json=application(national_id=nid)) for _ in range(2))
    )
    assert [answer.status_code for answer in answers] == [201, 201]
    officer = await login_as(Role.CENTRAL_OFFICER)
    records = [
        (await client.get(f"/api/v1/volunteers/{a.json()['id']}", headers=officer)).json()
        for a in answers
    ]
    flags = sorted(record["duplicate_of"] is not None for record in records)
    assert flags == [False, True]
    ids = {record["id"] for record in records}
    assert {record["duplicate_of"] for record in records} - {None} <= ids
