"""Nothing about an anonymous reporter's client is kept; every full read is audited."""

from __future__ import annotations

import json
import logging

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from api.logging import JsonFormatter
from api.ratelimit import Budget
from domain.policy import Role
from tests.conftest import LoginAs, assert_problem, set_rate
from tests.tips.helpers import tip_body

CLIENT_ADDRESS = "203.0.113.77"
USER_AGENT = "ReporterPhone/1.0 (fingerprint-xyz)"


async def test_no_client_address_or_agent_in_logs_or_database(
    app: FastAPI, db: AsyncEngine, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    transport = httpx.ASGITransport(app=app, client=(CLIENT_ADDRESS, 40123))
    headers = {"User-Agent": USER_AGENT, "X-Forwarded-For": CLIENT_ADDRESS}
    async with httpx.AsyncClient(
        transport=transport, base_url="http://testserver", headers=headers
    ) as client:
        created = await client.post(
            "/api/v1/tips",
            json=tip_body(),
            headers={"Idempotency-Key": "flaky-phone-0001-abcdef"},
        )
        assert created.status_code == 201
        receipt = created.json()["receipt"]
        follow = await client.post("/api/v1/tips/follow-up", json={"receipt": receipt})
        assert follow.status_code == 200
        wrong = await client.post("/api/v1/tips/follow-up", json={"receipt": "WRONG"})
        assert_problem(wrong, 404)
        added = await client.post(
            "/api/v1/tips/follow-up/messages", json={"receipt": receipt, "body": "เพิ่มเติม"}
        )
        assert added.status_code == 201

    logged = "\n".join(JsonFormatter().format(record) for record in caplog.records)
    assert "duangta.request" in logged  # the request lines were captured...
    for needle in (CLIENT_ADDRESS, "40123", USER_AGENT, "fingerprint-xyz", receipt):
        assert needle not in logged  # ...without the client's address, agent or receipt
    async with db.connect() as conn:
        tables = (
            await conn.execute(text("SELECT tablename FROM pg_tables WHERE schemaname='public'"))
        ).scalars()
        for table in tables:
            rows = (await conn.execute(text(f'SELECT * FROM "{table}"'))).all()
            dumped = repr(rows)
            for needle in (CLIENT_ADDRESS, USER_AGENT, "fingerprint-xyz"):
                assert needle not in dumped, table


async def test_every_full_read_is_audited_as_a_view(
    client: httpx.AsyncClient, login_as: LoginAs, db: AsyncEngine
) -> None:
    central = await login_as(Role.CENTRAL_OFFICER)
    tip = (await client.post("/api/v1/tips", json=tip_body())).json()
    for _ in range(3):
        assert (await client.get(f"/api/v1/tips/{tip['id']}", headers=central)).status_code == 200
    await client.get(f"/api/v1/tips/{tip['id']}/messages", headers=central)
    await client.get("/api/v1/tips", headers=central)  # summaries: not a view of content
    async with db.connect() as conn:
        views = (
            await conn.execute(
                text(
                    "SELECT actor_id, entity_id, details FROM audit_log "
                    "WHERE action = 'tip.viewed' ORDER BY seq"
                )
            )
        ).all()
    assert len(views) == 4
    assert {v.actor_id for v in views} == {central["X-Test-Account-Id"]}
    assert {v.entity_id for v in views} == {tip["id"]}
    assert [json.dumps(v.details) for v in views][-1] == '{"fields": ["messages"]}'


async def test_anonymous_submissions_are_rate_limited(
    app: FastAPI, client: httpx.AsyncClient, login_as: LoginAs
) -> None:
    set_rate(app, Budget.TIP_SUBMIT, "2/hour")
    for _ in range(2):
        assert (await client.post("/api/v1/tips", json=tip_body())).status_code == 201
    limited = await client.post("/api/v1/tips", json=tip_body())
    assert_problem(limited, 429)
    assert "retry-after" in limited.headers
    # Officials recording calls from one office are not held back by it.
    officer = await login_as(Role.PROVINCIAL_OFFICER, "40")
    recorded = await client.post("/api/v1/tips", json=tip_body(channel="hotline"), headers=officer)
    assert recorded.status_code == 201
