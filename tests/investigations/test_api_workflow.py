"""The investigation's workflow and record through the API: moves and their reasons,
preconditions, reopening, lost updates under concurrent PATCHes, lists and filters."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import timedelta

import httpx

from domain.clock import FrozenClock
from domain.policy import Role
from domain.tips.deadlines import BANGKOK
from tests.conftest import LoginAs, assert_problem
from tests.investigations.helpers import (
    INVESTIGATIONS,
    REASON,
    if_match,
    move,
    open_case,
    opened,
    triaged_tip,
)


async def test_twenty_concurrent_patches_one_wins_the_rest_get_412(
    client: httpx.AsyncClient, login_as: LoginAs
) -> None:
    central = await login_as(Role.CENTRAL_OFFICER)
    tip = await triaged_tip(client, central)
    case = await opened(client, central, [tip["id"]])
    url = f"{INVESTIGATIONS}/{case['id']}"
    etag = (await client.get(url, headers=central)).headers["etag"]

    async def patch(n: int) -> httpx.Response:
        body = {"title": f"ชื่อเรื่องฉบับที่ {n}", "findings": f"ข้อค้นพบ {n}"}
        return await client.patch(url, json=body, headers=if_match(etag, central))

    answers = await asyncio.gather(*(patch(n) for n in range(20)))

    assert Counter(a.status_code for a in answers) == {200: 1, 412: 19}
    for loser in (a for a in answers if a.status_code == 412):
        assert_problem(loser, 412, "precondition-failed")
    (winner,) = (a for a in answers if a.status_code == 200)
    final = await client.get(url, headers=central)
    assert final.headers["etag"] == winner.headers["etag"] == f'"v{case["version"] + 1}"'
    assert (final.json()["title"], final.json()["findings"]) == (
        winner.json()["title"],
        winner.json()["findings"],
    )
    timeline = (await client.get(f"{url}/timeline", headers=central)).json()["items"]
    assert [entry["kind"] for entry in timeline] == ["opened", "updated"]
    assert timeline[1]["fields"] == ["title", "findings"]


async def test_changes_need_the_current_etag(client: httpx.AsyncClient, login_as: LoginAs) -> None:
    central = await login_as(Role.CENTRAL_OFFICER)
    tip = await triaged_tip(client, central)
    case = await opened(client, central, [tip["id"]])
    url = f"{INVESTIGATIONS}/{case['id']}"

    assert_problem(await client.patch(url, json={"priority": "low"}, headers=central), 428)
    started = await client.post(f"{url}/start", json={"reason": REASON}, headers=central)
    assert_problem(started, 428, "precondition-required")
    assert_problem(await move(client, case["id"], "start", central, '"v99"'), 412)
    assert_problem(await move(client, case["id"], "start", central, 'W/"v1"'), 412)
    started = await move(client, case["id"], "start", central, "*")
    assert started.status_code == 200, started.text
    # A PATCH that changes nothing keeps the version; null clears the due date.
    same = await client.patch(url, json={"priority": "normal"}, headers=if_match(started, central))
    assert same.headers["etag"] == started.headers["etag"]
    cleared = await client.patch(
        url, json={"due_on": None, "findings": None}, headers=if_match(started, central)
    )
    assert cleared.status_code == 200
    assert_problem(
        await client.patch(url, json={"priority": None}, headers=if_match(cleared, central)), 422
    )


async def test_moves_follow_the_workflow_and_keep_their_reasons(
    client: httpx.AsyncClient, login_as: LoginAs
) -> None:
    central = await login_as(Role.CENTRAL_OFFICER)
    khon_kaen = await login_as(Role.PROVINCIAL_OFFICER, "40")
    tip = await triaged_tip(client, khon_kaen, province_code="40")
    case = await opened(client, khon_kaen, [tip["id"]])
    case_id = case["id"]
    etag = f'"v{case["version"]}"'

    for illegal in ("hold", "resume", "reopen"):
        response = await move(client, case_id, illegal, central, etag)
        assert_problem(response, 409, "invalid-transition")
    assert_problem(
        await move(client, case_id, "conclude", khon_kaen, etag, outcome="referred"), 409
    )
    assert_problem(await move(client, case_id, "start", khon_kaen, etag, reason=""), 422)

    answers = []
    for name, extra in (
        ("start", {}),
        ("hold", {"reason": "รอเอกสารจากธนาคาร"}),
        ("resume", {"reason": "ได้รับเอกสารแล้ว"}),
        ("hold", {"reason": "รอผลตรวจลายมือชื่อ"}),
        ("conclude", {"outcome": "insufficient_evidence"}),
    ):
        response = await move(client, case_id, name, khon_kaen, etag, **extra)
        assert response.status_code == 200, (name, response.text)
        etag = response.headers["etag"]
        answers.append(response.json()["status"])
    assert answers == ["in_progress", "on_hold", "in_progress", "on_hold", "concluded"]

    # The tip closed as insufficient information; the reporter heard the standard text.
    follow = await client.post("/api/v1/tips/follow-up", json={"receipt": tip["receipt"]})
    assert follow.json()["outcome"] == "insufficient_information"
    assert "evidence was insufficient" in follow.json()["messages"][-1]["body"]

    # Concluded: no PATCH; only a central officer reopens (provincial offices may not).
    url = f"{INVESTIGATIONS}/{case_id}"
    assert_problem(
        await client.patch(url, json={"priority": "low"}, headers=if_match(etag, khon_kaen)),
        409,
        "conflict",
    )
    assert_problem(await move(client, case_id, "reopen", khon_kaen, etag), 403, "forbidden")
    reopened = await move(client, case_id, "reopen", central, etag, reason="พบพยานใหม่")
    assert reopened.status_code == 200, reopened.text
    assert (reopened.json()["status"], reopened.json()["outcome"]) == ("in_progress", None)
    assert reopened.json()["tips"][0]["status"] == "closed"  # the reporter was told

    timeline = (await client.get(f"{url}/timeline", headers=central)).json()["items"]
    changes = [(e["from_status"], e["to_status"], e["text"]) for e in timeline[1:]]
    assert changes == [
        ("open", "in_progress", REASON),
        ("in_progress", "on_hold", "รอเอกสารจากธนาคาร"),
        ("on_hold", "in_progress", "ได้รับเอกสารแล้ว"),
        ("in_progress", "on_hold", "รอผลตรวจลายมือชื่อ"),
        ("on_hold", "concluded", REASON),
        ("concluded", "in_progress", "พบพยานใหม่"),
    ]


async def test_opening_checks_every_tip(client: httpx.AsyncClient, login_as: LoginAs) -> None:
    central = await login_as(Role.CENTRAL_OFFICER)
    khon_kaen = await login_as(Role.PROVINCIAL_OFFICER, "40")
    ready = await triaged_tip(client, central, province_code="40")
    elsewhere = await triaged_tip(client, central, province_code="10")
    fresh = await client.post(
        "/api/v1/tips", json={"province_code": "40", "category": "bribery", "description": "x" * 30}
    )

    # A tip the provincial office cannot see is a 404, one not in review a 409; nothing
    # is opened, and the reference numbers stay gap-free.
    assert_problem(await open_case(client, khon_kaen, [ready["id"], elsewhere["id"]]), 404)
    assert_problem(await open_case(client, central, [ready["id"], fresh.json()["id"]]), 409)
    assert_problem(await open_case(client, khon_kaen, [ready["id"]], lead_province_code="10"), 422)
    assert_problem(await open_case(client, central, [ready["id"]], lead_province_code="99"), 422)
    assert_problem(await open_case(client, central, []), 422)
    first = await opened(client, central, [ready["id"]], lead_province_code="10")
    assert first["reference"].endswith("-000001")
    assert first["lead_province_code"] == "10"
    # A tip is in one open investigation at most.
    assert_problem(await open_case(client, central, [ready["id"]]), 409)
    second = await opened(client, central, [elsewhere["id"]])
    assert second["reference"].endswith("-000002")


async def test_lists_filter_and_page(
    client: httpx.AsyncClient, login_as: LoginAs, clock: FrozenClock
) -> None:
    central = await login_as(Role.CENTRAL_OFFICER)
    investigator = await login_as(Role.INVESTIGATOR)
    cases = []
    for n, (province, priority) in enumerate((("40", "high"), ("10", "low"), ("40", "low"))):
        tip = await triaged_tip(client, central, province_code=province)
        today = clock.now().astimezone(BANGKOK).date()  # due dates are Bangkok dates
        due = (today + timedelta(days=10 * (n - 1))).isoformat()
        cases.append(await opened(client, central, [tip["id"]], priority=priority, due_on=due))
        clock.advance(timedelta(minutes=1))
    await client.post(
        f"{INVESTIGATIONS}/{cases[1]['id']}/assignments",
        json={"account_id": investigator["X-Test-Account-Id"]},
        headers=central,
    )
    ids = [case["id"] for case in cases]

    async def found(**params: str | int) -> list[str]:
        response = await client.get(INVESTIGATIONS, headers=central, params=params)
        assert response.status_code == 200, response.text
        return [item["id"] for item in response.json()["items"]]

    assert await found() == ids[::-1]
    assert await found(province_code="40") == [ids[2], ids[0]]
    assert await found(province_code="TH-40", priority="low") == [ids[2]]
    assert await found(assignee_id=investigator["X-Test-Account-Id"]) == [ids[1]]
    assert await found(overdue="true") == [ids[0]]
    assert await found(overdue="false") == [ids[2], ids[1]]
    assert await found(status="in_progress") == []
    first = (await client.get(INVESTIGATIONS, headers=central, params={"limit": 2})).json()
    assert [item["id"] for item in first["items"]] == [ids[2], ids[1]]
    assert first["items"][0]["tips_count"] == 1
    rest = await found(limit=2, cursor=first["next_cursor"])
    assert rest == [ids[0]]
    assert_problem(
        await client.get(INVESTIGATIONS, headers=central, params={"cursor": "nope"}), 422
    )


async def test_the_timeline_pages_in_order(client: httpx.AsyncClient, login_as: LoginAs) -> None:
    central = await login_as(Role.CENTRAL_OFFICER)
    tip = await triaged_tip(client, central)
    case = await opened(client, central, [tip["id"]])
    notes = f"{INVESTIGATIONS}/{case['id']}/notes"
    for n in range(5):
        response = await client.post(notes, json={"body": f"บันทึก {n}"}, headers=central)
        assert response.status_code == 201
    seen: list[str | None] = []
    cursor = None
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = (
            await client.get(
                f"{INVESTIGATIONS}/{case['id']}/timeline", headers=central, params=params
            )
        ).json()
        seen += [entry["text"] for entry in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [None, *(f"บันทึก {n}" for n in range(5))]
