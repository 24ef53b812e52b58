"""The registry's user story, from public application to retirement with erasure."""

from __future__ import annotations

import json

import httpx
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.clock import FrozenClock
from domain.policy import Role
from tests.conftest import LoginAs
from tests.volunteers.helpers import (
    account_state,
    application,
    assert_absent,
    audit_entries,
    raw_database_text,
    sign_in,
)

PASSWORD = "ดวงตาแรงงาน correct horse"


async def test_a_volunteer_from_application_to_erasure(
    client: httpx.AsyncClient,
    app: FastAPI,
    clock: FrozenClock,
    login_as: LoginAs,
    db: AsyncEngine,
) -> None:
    body = application(full_name_th="นายสมชาย ใจดี", email="somchai@example.org")
    nid = body["national_id"]

    # 1. Somchai applies on the public form (no login), over a flaky network: he retries.
    headers = {"Idempotency-Key": "4f1c9a8e-2b4d-4f7a-9c3e-1d2b3a4c5e6f"}
    applied = await client.post("/api/v1/volunteers/applications", json=body, headers=headers)
    assert applied.status_code == 201, applied.text
    receipt = applied.json()
    assert set(receipt) == {"id", "status", "province_code", "national_id_masked"}
    assert receipt["status"] == "applied"
    assert receipt["province_code"] == "40"
    assert receipt["national_id_masked"] == "*********" + nid[-4:]
    retried = await client.post("/api/v1/volunteers/applications", json=body, headers=headers)
    assert retried.status_code == 201
    assert retried.json() == receipt
    assert retried.headers["Idempotent-Replayed"] == "true"
    volunteer_id = receipt["id"]

    # 2. The provincial officer of Khon Kaen (40) approves: an account and a one-time code.
    officer = await login_as(Role.PROVINCIAL_OFFICER, "40")
    approved = await client.post(
        f"/api/v1/volunteers/{volunteer_id}/approve",
        json={"reason": "สัมภาษณ์แล้ว เอกสารครบ"},
        headers=officer,
    )
    assert approved.status_code == 200, approved.text
    approval = approved.json()
    assert approval["status"] == "active"
    assert approval["national_id_masked"] == "*********" + nid[-4:]
    assert approval["national_id"] is None
    assert approval["approved_by"] == officer["X-Test-Account-Id"]
    code = approval["activation_code"]
    account_id = approval["account_id"]
    assert approved.headers["Cache-Control"] == "no-store"

    # 3. Somchai activates his account, logs in (POST /api/v1/auth/token), reads and
    #    exports his own profile.
    activated = await client.post(
        "/api/v1/volunteers/activate",
        json={"activation_code": code, "username": "Somchai.KK", "password": PASSWORD},
    )
    assert activated.status_code == 200, activated.text
    assert activated.json() == {
        "account_id": account_id,
        "username": "somchai.kk",
        "role": "volunteer",
        "province_code": "40",
    }
    again = await client.post(
        "/api/v1/volunteers/activate",
        json={"activation_code": code, "username": "someone.else", "password": PASSWORD},
    )
    assert again.status_code == 404  # one time only

    me = await sign_in(client, "somchai.kk", PASSWORD)
    profile = await client.get("/api/v1/me/volunteer", headers=me)
    assert profile.status_code == 200
    assert profile.json()["id"] == volunteer_id
    assert profile.json()["national_id_masked"] == "*********" + nid[-4:]
    assert nid not in profile.text
    assert profile.json()["phone"] == "+66812345678"

    exported = await client.get("/api/v1/me/volunteer/export", headers=me)
    assert exported.status_code == 200
    export = exported.json()
    assert export["volunteer"]["national_id"] == nid
    assert export["volunteer"]["full_name_th"] == "นายสมชาย ใจดี"
    assert export["volunteer"]["email"] == "somchai@example.org"
    assert [h["to_status"] for h in export["volunteer"]["history"]] == ["applied", "active"]
    assert export["account"]["username"] == "somchai.kk"

    # 4. The officer records the training day and the pledge that ends it.
    trained = await client.post(
        f"/api/v1/volunteers/{volunteer_id}/trainings",
        json={
            "course_title": "หลักสูตรอาสาสมัครแรงงานต้านทุจริต",
            "held_on": clock.now().date().isoformat(),
            "hours": 6,
            "certificate_number": "KK-2569-0042",
            "organiser": "สำนักงานแรงงานจังหวัดขอนแก่น",
        },
        headers=officer,
    )
    assert trained.status_code == 201, trained.text
    assert trained.json()["volunteer"]["trained"] is True
    pledged = await client.post(
        f"/api/v1/volunteers/{volunteer_id}/pledge", json={}, headers=officer
    )
    assert pledged.status_code == 200, pledged.text
    assert pledged.json()["pledged_on"] is not None

    # Somchai sees the training in his own profile.
    mine = (await client.get("/api/v1/me/volunteer", headers=me)).json()
    assert mine["trained"] is True
    assert mine["trainings"][0]["certificate_number"] == "KK-2569-0042"

    # 5. Suspended: his account is deactivated, his token refused; reinstated: he signs in
    # again (tokens issued before the suspension stay dead).
    suspended = await client.post(
        f"/api/v1/volunteers/{volunteer_id}/suspend",
        json={"reason": "สมชายไม่มาประชุมสามครั้ง"},
        headers=officer,
    )
    assert suspended.status_code == 200
    assert suspended.json()["status"] == "suspended"
    assert await account_state(app, clock, account_id) == (False, "somchai.kk")
    assert (await client.get("/api/v1/me/volunteer", headers=me)).status_code == 401
    reinstated = await client.post(
        f"/api/v1/volunteers/{volunteer_id}/reinstate",
        json={"reason": "ชี้แจงแล้ว"},
        headers=officer,
    )
    assert reinstated.json()["status"] == "active"
    assert await account_state(app, clock, account_id) == (True, "somchai.kk")
    assert (await client.get("/api/v1/me/volunteer", headers=me)).status_code == 401
    me = await sign_in(client, "somchai.kk", PASSWORD)
    assert (await client.get("/api/v1/me/volunteer", headers=me)).status_code == 200

    # Nothing readable in the database: not the ID, not his phone or email.
    dump = await raw_database_text(db)
    for secret in (nid, "+66812345678", "0812345678", "somchai@example.org", code, PASSWORD):
        assert_absent(dump, secret)
    assert "นายสมชาย ใจดี" in dump  # names stay searchable (documented)

    # 6. He retires and asks for his data to be erased.
    retired = await client.post(
        f"/api/v1/volunteers/{volunteer_id}/retire",
        json={"reason": "ย้ายไปต่างประเทศ", "erase": True},
        headers=officer,
    )
    assert retired.status_code == 200, retired.text
    after = retired.json()
    assert after["status"] == "retired"
    assert after["erased"] is True
    assert after["full_name_th"] != "นายสมชาย ใจดี"
    assert after["full_name_en"] is None
    assert after["national_id_masked"] is None
    assert (after["phone"], after["email"], after["date_of_birth"]) == (None, None, None)
    assert after["trainings_count"] == 1
    assert after["trainings"][0]["certificate_number"] is None
    assert [h["to_status"] for h in after["history"]] == [
        "applied",
        "active",
        "suspended",
        "active",
        "retired",
    ]
    assert all(h["reason"] is None for h in after["history"])
    is_active, username = await account_state(app, clock, account_id)
    assert not is_active
    assert username.startswith("erased-")

    dump = await raw_database_text(db)
    for secret in (nid, "นายสมชาย ใจดี", "Somchai", "somchai", "+66812345678", "KK-2569-0042"):
        assert_absent(dump, secret)

    # Every step is in the audit log, and no entry carries personal data.
    entries = await audit_entries(db, volunteer_id, account_id)
    assert [e["action"] for e in entries] == [
        "volunteer.applied",
        "volunteer.approved",
        "user.created",
        "volunteer.activated",
        "auth.login_succeeded",
        "volunteer.viewed",
        "volunteer.exported",
        "volunteer.training_recorded",
        "volunteer.pledged",
        "volunteer.suspended",
        "user.deactivated",
        "volunteer.reinstated",
        "user.reactivated",
        "auth.login_succeeded",
        "volunteer.retired",
        "user.deactivated",
        "user.updated",
        "volunteer.erased",
    ]
    assert entries[0]["actor_id"] == "anonymous"
    assert entries[1]["actor_id"] == officer["X-Test-Account-Id"]
    assert entries[3]["actor_id"] == account_id
    assert entries[5]["details"] == {"fields": ["national_id", "date_of_birth", "phone", "email"]}
    assert all(e["province_code"] == "40" for e in entries)
    details = json.dumps([e["details"] for e in entries], ensure_ascii=False)
    for personal in (
        nid,
        "สมชาย",
        "Somchai",
        "somchai",
        "812345678",
        "example.org",
        "1985-04-12",
        "ไม่มาประชุม",
        "ย้ายไปต่างประเทศ",
        code,
    ):
        assert personal not in details

    # The erased ID is free again: the person could apply anew one day.
    reapplied = await client.post("/api/v1/volunteers/applications", json=body)
    assert reapplied.status_code == 201
    assert reapplied.json()["id"] != volunteer_id
