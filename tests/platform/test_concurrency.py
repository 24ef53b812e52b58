"""Concurrency: many clients at once on the real app and PostgreSQL.

Requests go through httpx's ASGI transport, all on one event loop: they interleave at
every await (each holds its own database connection and transaction), which is what
makes the races real. After each run the audit chain is recomputed from the database
(domain/audit `verify_audit_chain`), so a race that forked or broke it fails here.
"""

from __future__ import annotations

import asyncio
import re
import uuid
from collections import Counter

import httpx
from fastapi import FastAPI

from api.ratelimit import Budget
from api.services import services_of
from domain.audit.use_cases import verify_audit_chain
from domain.clock import FrozenClock
from domain.policy import Principal, Role
from persistence.uow import SqlUnitOfWork
from tests.conftest import LoginAs, assert_problem, set_rate
from tests.investigations.helpers import if_match, opened, triaged_tip
from tests.tips.helpers import tip_body

SUBMISSIONS = 100
RACERS = 10
REFERENCE = re.compile(r"^TIP-(\d{4})-(\d{6})$")


async def assert_chain_verifies(app: FastAPI, clock: FrozenClock) -> int:
    auditor = Principal(account_id=uuid.uuid4(), role=Role.AUDITOR)
    async with SqlUnitOfWork(services_of(app).database.sessions(), clock=clock) as uow:
        result = await verify_audit_chain(uow, actor=auditor)
    assert result.valid, result
    return result.checked


async def test_concurrent_anonymous_submissions_get_distinct_gap_free_references(
    app: FastAPI, client: httpx.AsyncClient, clock: FrozenClock
) -> None:
    set_rate(app, Budget.TIP_SUBMIT, f"{SUBMISSIONS * 2}/hour")
    answers = await asyncio.gather(
        *(
            client.post(
                "/api/v1/tips",
                json=tip_body(),
                headers={"Idempotency-Key": f"concurrency-{n:04d}-{uuid.uuid4().hex}"},
            )
            for n in range(SUBMISSIONS)
        )
    )
    assert Counter(a.status_code for a in answers) == {201: SUBMISSIONS}, [
        a.text for a in answers if a.status_code != 201
    ][:3]
    references = [a.json()["reference"] for a in answers]
    assert len(set(references)) == SUBMISSIONS
    matches = [REFERENCE.match(reference) for reference in references]
    assert all(matches)
    assert len({m.group(1) for m in matches if m}) == 1  # one (Buddhist Era) year
    numbers = sorted(int(m.group(2)) for m in matches if m)
    assert numbers == list(range(numbers[0], numbers[0] + SUBMISSIONS)), "a gap or a repeat"
    assert len({a.json()["receipt"] for a in answers}) == SUBMISSIONS
    assert await assert_chain_verifies(app, clock) >= SUBMISSIONS


async def test_concurrent_transitions_on_one_tip_one_wins(
    app: FastAPI, client: httpx.AsyncClient, login_as: LoginAs, clock: FrozenClock
) -> None:
    created = await client.post("/api/v1/tips", json=tip_body())
    tip_id = created.json()["id"]
    officers = [await login_as(Role.CENTRAL_OFFICER) for _ in range(RACERS)]
    answers = await asyncio.gather(
        *(
            client.post(f"/api/v1/tips/{tip_id}/acknowledge", json={}, headers=officer)
            for officer in officers
        )
    )
    statuses = Counter(a.status_code for a in answers)
    assert statuses == {200: 1, 409: RACERS - 1}, statuses
    for answer in answers:
        if answer.status_code == 409:
            assert_problem(answer, 409, "invalid-transition")
    read = await client.get(f"/api/v1/tips/{tip_id}", headers=officers[0])
    acknowledged = [h for h in read.json()["history"] if h["to_status"] == "acknowledged"]
    assert len(acknowledged) == 1
    await assert_chain_verifies(app, clock)


async def test_concurrent_transitions_on_one_investigation_with_one_etag_one_wins(
    app: FastAPI, client: httpx.AsyncClient, login_as: LoginAs, clock: FrozenClock
) -> None:
    officer = await login_as(Role.CENTRAL_OFFICER)
    tip = await triaged_tip(client, officer)
    case = await opened(client, officer, [tip["id"]])
    current = await client.get(f"/api/v1/investigations/{case['id']}", headers=officer)
    etag = current.headers["ETag"]
    url = f"/api/v1/investigations/{case['id']}"
    answers = await asyncio.gather(
        *(
            client.post(
                f"{url}/{move}",
                json={"reason": f"racer {n}"},
                headers=if_match(etag, officer),
            )
            for n, move in enumerate(["start"] * (RACERS - 2) + ["hold", "conclude"])
        )
    )
    statuses = Counter(a.status_code for a in answers)
    assert statuses[200] == 1, statuses
    assert set(statuses) <= {200, 409, 412, 422}, statuses
    for answer in answers:
        if answer.status_code != 200:
            assert answer.headers["content-type"] == "application/problem+json"
    winner = next(a for a in answers if a.status_code == 200)
    after = await client.get(url, headers=officer)
    assert after.headers["ETag"] == winner.headers["ETag"] != etag
    assert after.json()["status"] == winner.json()["status"]
    await assert_chain_verifies(app, clock)
