"""Legal deadlines around their boundaries (a frozen clock, no sleeping), lists, links."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from domain.clock import FrozenClock
from domain.policy import Role
from tests.conftest import LoginAs, assert_problem
from tests.tips.helpers import tip_body

SECOND = timedelta(seconds=1)
# 10:00 in Bangkok on 30 November: three calendar months later is 28 February.
T0 = datetime(2026, 11, 30, 3, 0, tzinfo=UTC)


async def submit(client: httpx.AsyncClient, **overrides: Any) -> dict[str, Any]:
    response = await client.post("/api/v1/tips", json=tip_body(**overrides))
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def overdue(client: httpx.AsyncClient, headers: dict[str, str], kind: str) -> set[str]:
    response = await client.get("/api/v1/tips", headers=headers, params={"overdue": kind})
    assert response.status_code == 200, response.text
    return {item["id"] for item in response.json()["items"]}


async def status_of(
    client: httpx.AsyncClient, headers: dict[str, str], tip_id: str
) -> dict[str, Any]:
    response = await client.get(f"/api/v1/tips/{tip_id}", headers=headers)
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


async def test_acknowledgement_deadline_is_seven_days_to_the_second(
    client: httpx.AsyncClient, login_as: LoginAs, clock: FrozenClock
) -> None:
    officer = await login_as(Role.PROVINCIAL_OFFICER, "40")
    clock.set(T0)
    on_time, late, never = [await submit(client) for _ in range(3)]
    assert on_time["ack_due_at"] == "2026-12-07T03:00:00Z"
    assert on_time["reference"].startswith("TIP-2569-")

    clock.set(T0 + timedelta(days=7) - SECOND)
    assert await overdue(client, officer, "ack") == set()
    assert (await status_of(client, officer, never["id"]))["ack_status"] == "pending"

    clock.set(T0 + timedelta(days=7))  # exactly at the deadline: still on time
    ack = await client.post(f"/api/v1/tips/{on_time['id']}/acknowledge", headers=officer)
    assert ack.json()["ack_status"] == "met"
    assert await overdue(client, officer, "ack") == set()

    clock.set(T0 + timedelta(days=7) + SECOND)
    assert await overdue(client, officer, "ack") == {late["id"], never["id"]}
    await client.post(f"/api/v1/tips/{late['id']}/acknowledge", headers=officer)
    # A late acknowledgement is a breach that stays on record.
    assert await overdue(client, officer, "ack") == {late["id"], never["id"]}
    assert (await status_of(client, officer, late["id"]))["ack_status"] == "overdue"
    assert (await status_of(client, officer, on_time["id"]))["ack_status"] == "met"
    actionable = await client.get(
        "/api/v1/tips", headers=officer, params={"overdue": "ack", "status": "received"}
    )
    assert [t["id"] for t in actionable.json()["items"]] == [never["id"]]


async def test_feedback_deadline_is_three_calendar_months_after_acknowledgement(
    client: httpx.AsyncClient, login_as: LoginAs, clock: FrozenClock
) -> None:
    officer = await login_as(Role.PROVINCIAL_OFFICER, "40")
    clock.set(T0 - timedelta(days=2))
    answered, silent = await submit(client), await submit(client)
    # Before acknowledgement: the latest lawful date (ack deadline + 3 months).
    assert silent["feedback_due_at"] == "2027-03-05T03:00:00Z"

    clock.set(T0)
    for tip in (answered, silent):
        ack = await client.post(f"/api/v1/tips/{tip['id']}/acknowledge", headers=officer)
        assert ack.json()["feedback_due_at"] == "2027-02-28T03:00:00Z"
    due = datetime(2027, 2, 28, 3, 0, tzinfo=UTC)

    clock.set(due - SECOND)
    assert await overdue(client, officer, "feedback") == set()
    message = await client.post(
        f"/api/v1/tips/{answered['id']}/messages",
        headers=officer,
        json={"body": "อยู่ระหว่างตรวจสอบ"},
    )
    assert message.status_code == 201
    note = {"body": "บันทึกภายในไม่นับเป็นการแจ้งผล", "internal": True}
    await client.post(f"/api/v1/tips/{silent['id']}/messages", headers=officer, json=note)
    assert (await status_of(client, officer, silent["id"]))["feedback_status"] == "pending"

    clock.set(due + SECOND)
    assert await overdue(client, officer, "feedback") == {silent["id"]}
    assert (await status_of(client, officer, answered["id"]))["feedback_status"] == "met"
    assert (await status_of(client, officer, silent["id"]))["feedback_status"] == "overdue"


async def test_keyset_pages_filters_and_summary_fields(
    client: httpx.AsyncClient, login_as: LoginAs, clock: FrozenClock
) -> None:
    central = await login_as(Role.CENTRAL_OFFICER)
    clock.set(T0)
    created = []
    for index, (province, category) in enumerate(
        [
            ("40", "bribery"),
            ("10", "extortion"),
            ("40", "extortion"),
            ("41", "other"),
            ("40", "bribery"),
        ]
    ):
        clock.set(T0 + timedelta(hours=index))
        created.append(await submit(client, province_code=province, category=category))
    # Two tips at the very same instant are ordered by id, never lost between pages.
    created.append(await submit(client))
    same_instant = sorted([created[4]["id"], created[5]["id"]], reverse=True)
    newest_first = same_instant + [created[i]["id"] for i in (3, 2, 1, 0)]

    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        params: dict[str, Any] = {"limit": 2}
        if cursor:
            params["cursor"] = cursor
        page = (await client.get("/api/v1/tips", headers=central, params=params)).json()
        pages += 1
        seen += [item["id"] for item in page["items"]]
        for item in page["items"]:
            assert not {"description", "accused", "contact", "location"} & set(item)
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert pages == 3
    assert seen == newest_first  # (received_at DESC, id DESC), nothing lost or repeated

    async def ids(**params: str) -> set[str]:
        response = await client.get("/api/v1/tips", headers=central, params=params)
        assert response.status_code == 200, response.text
        return {item["id"] for item in response.json()["items"]}

    assert await ids(province_code="TH-40") == {created[i]["id"] for i in (0, 2, 4, 5)}
    assert await ids(category="extortion") == {created[1]["id"], created[2]["id"]}
    assert await ids(status="received", category="other") == {created[3]["id"]}
    window = await ids(
        received_from=(T0 + timedelta(hours=1)).isoformat(),
        received_to=(T0 + timedelta(hours=3)).isoformat(),
    )
    assert window == {created[1]["id"], created[2]["id"]}

    for bad in (
        {"limit": "0"},
        {"limit": "201"},
        {"cursor": "garbage"},
        {"received_from": "2026-11-30T10:00:00"},  # no time zone
        {"status": "lost"},
        {"overdue": "soon"},
        {"province_code": "Bangkok"},
    ):
        response = await client.get("/api/v1/tips", headers=central, params=bad)
        assert_problem(response, 422)


async def test_officials_link_tips_they_can_both_see(
    client: httpx.AsyncClient, login_as: LoginAs
) -> None:
    central = await login_as(Role.CENTRAL_OFFICER)
    khon_kaen = await login_as(Role.PROVINCIAL_OFFICER, "40")
    here, there, also_here = (
        await submit(client),
        await submit(client, province_code="10"),
        await submit(client),
    )

    cross = await client.post(
        f"/api/v1/tips/{here['id']}/links",
        headers=khon_kaen,
        json={"target_id": there["id"], "kind": "related"},
    )
    assert_problem(cross, 404)  # Khon Kaen cannot see the Bangkok tip
    linked = await client.post(
        f"/api/v1/tips/{here['id']}/links",
        headers=central,
        json={"target_id": there["id"], "kind": "duplicate_of"},
    )
    assert linked.status_code == 201
    assert linked.json() == {
        "tip_id": there["id"],
        "reference": there["reference"],
        "kind": "duplicate_of",
        "direction": "outgoing",
    }
    again = await client.post(
        f"/api/v1/tips/{there['id']}/links",
        headers=central,
        json={"target_id": here["id"], "kind": "related"},
    )
    assert_problem(again, 409)
    itself = await client.post(
        f"/api/v1/tips/{here['id']}/links",
        headers=central,
        json={"target_id": here["id"], "kind": "related"},
    )
    assert_problem(itself, 422)
    local = await client.post(
        f"/api/v1/tips/{also_here['id']}/links",
        headers=khon_kaen,
        json={"target_id": here["id"], "kind": "related"},
    )
    assert local.status_code == 201

    record = (await client.get(f"/api/v1/tips/{there['id']}", headers=central)).json()
    assert record["links"] == [
        {
            "tip_id": here["id"],
            "reference": here["reference"],
            "kind": "duplicate_of",
            "direction": "incoming",
        }
    ]
    # Khon Kaen sees the local link but not the one to the Bangkok tip.
    record = (await client.get(f"/api/v1/tips/{here['id']}", headers=khon_kaen)).json()
    assert [link["tip_id"] for link in record["links"]] == [also_here["id"]]
