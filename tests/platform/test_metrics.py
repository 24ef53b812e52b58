"""`/metrics` (api/metrics.py): Prometheus text behind a bearer token; route templates,
never raw paths; pool, rate-limit, shedding and audit-chain figures."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from api.app import create_app
from api.ratelimit import Budget
from api.services import services_of
from api.settings import Settings
from domain.clock import FrozenClock
from tests.conftest import assert_problem, set_rate
from tests.tips.helpers import tip_body

TOKEN = "metrics-token-for-tests-0123456789"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
async def metered(
    db: AsyncEngine, settings: Settings, clock: FrozenClock
) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    app = create_app(settings.model_copy(update={"metrics_token": SecretStr(TOKEN)}), clock=clock)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, client=("198.51.100.23", 1234))
        async with httpx.AsyncClient(transport=transport, base_url="http://api") as client:
            yield app, client


def sample(exposition: str, name: str, **labels: str) -> float:
    """The value of one sample of the exposition text (0 when absent)."""
    wanted = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    for line in exposition.splitlines():
        match = re.fullmatch(r"([a-z_]+)(?:\{(.*)\})? (\S+)", line)
        if match and match.group(1) == name:
            found = ",".join(sorted((match.group(2) or "").split(","))) if match.group(2) else ""
            if found == wanted:
                return float(match.group(3))
    return 0.0


async def test_without_a_token_setting_metrics_are_not_served(client: httpx.AsyncClient) -> None:
    assert_problem(await client.get("/metrics"), 404, "not-found")


async def test_metrics_need_the_bearer_token(metered: tuple[FastAPI, httpx.AsyncClient]) -> None:
    _, client = metered
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Basic {TOKEN}"}):
        response = await client.get("/metrics", headers=headers)
        assert_problem(response, 401, "not-authenticated")
        assert response.headers["www-authenticate"] == "Bearer"
    ok = await client.get("/metrics", headers=AUTH)
    assert ok.status_code == 200
    assert ok.headers["content-type"].startswith("text/plain; version=")


async def test_requests_are_counted_by_route_template_and_status(
    metered: tuple[FastAPI, httpx.AsyncClient],
) -> None:
    app, client = metered
    set_rate(app, Budget.TIP_SUBMIT, "1/hour")
    missing = uuid.uuid4()
    for _ in range(3):
        await client.get(f"/api/v1/tips/{missing}")
    await client.get("/api/v1/provinces/40")
    await client.get(f"/no/such/path/{missing}")
    await client.request("BREW", "/api/v1/provinces")
    created = await client.post("/api/v1/tips", json=tip_body())
    assert created.status_code == 201
    assert (await client.post("/api/v1/tips", json=tip_body())).status_code == 429

    body = (await client.get("/metrics", headers=AUTH)).text
    requests = "duangta_http_requests_total"
    assert sample(body, requests, method="GET", route="/api/v1/tips/{tip_id}", status="401") == 3
    assert sample(body, requests, method="GET", route="/api/v1/provinces/{code}", status="200") == 1
    assert sample(body, requests, method="GET", route="<unmatched>", status="404") == 1
    assert sample(body, requests, method="OTHER", route="/api/v1/provinces", status="405") == 1
    assert sample(body, requests, method="POST", route="/api/v1/tips", status="201") == 1
    assert sample(body, requests, method="POST", route="/api/v1/tips", status="429") == 1
    duration = "duangta_http_request_duration_seconds_count"
    assert sample(body, duration, method="POST", route="/api/v1/tips") == 2
    assert sample(body, "duangta_rate_limit_rejections_total", budget="tip_submit") == 1
    assert sample(body, "duangta_db_pool_connections_limit") == 2 * 5
    assert sample(body, "duangta_db_pool_connections_in_use") == 0  # all returned
    async with services_of(app).database.require_engine().connect() as conn:
        entries = (await conn.execute(text("SELECT count(*) FROM audit_log"))).scalar_one()
    assert entries >= 1
    assert sample(body, "duangta_audit_chain_length") == entries
    # No raw path, id or client address anywhere in the labels.
    assert str(missing) not in body
    assert "198.51.100.23" not in body
    assert "/no/such/path" not in body


async def test_an_outbox_can_report_its_backlog(
    metered: tuple[FastAPI, httpx.AsyncClient],
) -> None:
    app, client = metered

    async def backlog() -> int:
        return 7

    services_of(app).metrics.outbox_backlog = backlog
    body = (await client.get("/metrics", headers=AUTH)).text
    assert sample(body, "duangta_outbox_backlog") == 7
