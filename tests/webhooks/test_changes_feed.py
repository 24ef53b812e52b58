"""The changes feed: every event of the agency exactly once across pages, in commit order,
including one that a slower transaction commits after a faster one was read."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import httpx
from fastapi import FastAPI
from sqlalchemy import text

from api.services import services_of
from domain.clock import FrozenClock
from domain.outbox.model import EventType, OutboxEvent
from domain.policy import Role
from persistence.uow import SqlUnitOfWork
from tests.conftest import LoginAs, assert_problem
from tests.webhooks.receiver import eventually

CHANGES = "/api/v1/referrals/changes"


def _event(clock: FrozenClock, agency: str = "PACC", n: int = 0) -> OutboxEvent:
    return OutboxEvent.new(
        EventType.REFERRAL_UPDATED,
        agency_code=agency,
        at=clock.now(),
        data={"referral_id": f"r-{n}", "status": "received"},
    )


async def _committed(app: FastAPI, clock: FrozenClock, *events: OutboxEvent) -> None:
    async with SqlUnitOfWork(services_of(app).database.sessions(), clock=clock) as uow:
        for event in events:
            await uow.outbox.add(event)
        await uow.commit()


async def _poll(
    client: httpx.AsyncClient, headers: dict[str, str], cursor: str | None, limit: int = 100
) -> dict[str, Any]:
    params: dict[str, Any] = {"limit": limit} | ({"cursor": cursor} if cursor else {})
    answer = await client.get(CHANGES, params=params, headers=headers)
    assert answer.status_code == 200, answer.text
    page: dict[str, Any] = answer.json()
    return page


async def test_an_event_committed_late_by_a_slower_transaction_is_not_skipped(
    app: FastAPI, client: httpx.AsyncClient, login_as: LoginAs, clock: FrozenClock
) -> None:
    pacc = await login_as(Role.PARTNER, agency_code="PACC")
    first, slow, fast = _event(clock, n=1), _event(clock, n=2), _event(clock, n=3)
    await _committed(app, clock, first)
    seen: list[str] = []
    cursor: str | None = None

    async def read(until: int) -> bool:
        nonlocal cursor
        page = await _poll(client, pacc, cursor)
        seen.extend(item["id"] for item in page["items"])
        cursor = page["next_cursor"]
        return len(seen) >= until

    # (Any write transaction of this database that began before an event holds it back
    # while it runs, hence polling with a deadline.)
    await eventually(lambda: read(1), within=30, what="the first event")

    sessions = services_of(app).database.sessions()
    async with SqlUnitOfWork(sessions, clock=clock) as slower:
        await slower.outbox.add(slow)  # written first: the lower id and transaction id
        await _committed(app, clock, fast)  # committed while the slower one runs
        # An id-ordered feed would hand out `fast` now and move its cursor past `slow`.
        # This one holds back what a running transaction could still precede.
        await read(2)
        assert seen == [first.message_id]
        await slower.commit()

    async with services_of(app).database.require_engine().connect() as connection:
        rows = await connection.execute(text("SELECT id, seq FROM outbox_events"))
        seq: dict[UUID, int] = {row.id: row.seq for row in rows}
    assert seq[slow.id] < seq[fast.id]  # the late one has the lower id

    await eventually(lambda: read(3), within=30, what="the late event and the one after it")
    assert seen == [first.message_id, slow.message_id, fast.message_id]
    again = await _poll(client, pacc, cursor)
    assert (again["items"], again["next_cursor"], again["has_more"]) == ([], cursor, False)


async def test_pages_return_every_event_once_and_only_the_agencys(
    app: FastAPI, client: httpx.AsyncClient, login_as: LoginAs, clock: FrozenClock
) -> None:
    pacc = await login_as(Role.PARTNER, agency_code="PACC")
    admin = await login_as(Role.ADMIN)
    ours = [_event(clock, n=n) for n in range(7)]
    await _committed(app, clock, *ours[:3], _event(clock, "NACC"))
    test_event = OutboxEvent.new(
        EventType.WEBHOOK_TEST, agency_code="PACC", at=clock.now(), data={}
    )
    await _committed(app, clock, test_event, *ours[3:])

    seen: list[str] = []
    cursor: str | None = None

    async def read_all() -> bool:
        nonlocal cursor
        page = await _poll(client, pacc, cursor, limit=2)
        assert len(page["items"]) <= 2
        seen.extend(item["id"] for item in page["items"])
        cursor = page["next_cursor"]
        return len(seen) >= len(ours) and not page["has_more"]

    await eventually(read_all, within=30, what="every event")
    assert seen == [event.message_id for event in ours]

    # Admins name the agency; partners always read their own.
    assert_problem(await client.get(CHANGES, headers=admin), 422)
    nacc = await client.get(CHANGES, params={"agency_code": "NACC"}, headers=admin)
    assert [item["agency_code"] for item in nacc.json()["items"]] == ["NACC"]
    also_own = await client.get(CHANGES, params={"agency_code": "NACC"}, headers=pacc)
    assert {item["agency_code"] for item in also_own.json()["items"]} == {"PACC"}
    assert_problem(await client.get(CHANGES, params={"cursor": "garbage"}, headers=pacc), 422)
    assert_problem(await client.get(CHANGES), 401)
    central = await login_as(Role.CENTRAL_OFFICER)
    assert_problem(await client.get(CHANGES, headers=central), 403)
