"""Statistics through the whole app: who sees what, periods, the annual report as JSON
and CSV, the public figures (suppressed, cached), open data and the transparency page."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.clock import FrozenClock
from domain.policy import Role
from tests.conftest import LoginAs
from tests.statistics.seed import add_investigation, add_officer, add_referral, add_tip

# Inside FY2569 (Bangkok): 1 Oct 2025 - 30 Sep 2026.
NOW = datetime(2026, 6, 15, 3, 0, tzinfo=UTC)


@pytest.fixture
async def seeded(db: AsyncEngine, clock: FrozenClock) -> AsyncEngine:
    """FY2569, hand-counted: Khon Kaen (40) 12 tips, Bangkok (10) 3, Chiang Mai (50) 6;
    8 acknowledged in time in 40, 2 late; 6 investigations concluded in 40 (4
    substantiated with 1000.50 damage each and 200 recovered on one), one referred to NACC
    and prosecuted."""
    clock.set(NOW)
    async with db.begin() as conn:
        await add_officer(conn)
        for i in range(12):
            received = datetime(2025, 11, 1 + i, 2, 0, tzinfo=UTC)
            ack = (
                received.replace(hour=20)
                if i < 8
                else (received.replace(day=28) if i < 10 else None)
            )
            await add_tip(
                conn,
                province="40",
                received_at=received,
                category="bribery" if i % 2 else "extortion",
                acknowledged_at=ack,
                status="acknowledged" if ack else "received",
            )
        for i in range(3):
            await add_tip(conn, province="10", received_at=datetime(2026, 1, 5 + i, tzinfo=UTC))
        for i in range(6):
            await add_tip(conn, province="50", received_at=datetime(2026, 2, 5 + i, tzinfo=UTC))
        for i in range(6):
            inv = await add_investigation(
                conn,
                province="40",
                created_at=datetime(2025, 12, 1, tzinfo=UTC),
                status="concluded",
                outcome="substantiated" if i < 4 else "unsubstantiated",
                concluded_at=datetime(2026, 1, 10 + i, tzinfo=UTC),
                damage=Decimal("1000.50") if i < 4 else None,
                recovered=Decimal("200") if i == 0 else None,
            )
            if i == 0:
                await add_referral(
                    conn,
                    investigation_id=inv,
                    agency="NACC",
                    status="prosecuted",
                    created_at=datetime(2026, 1, 11, tzinfo=UTC),
                )
    return db


async def test_officers_get_figures_in_their_scope(
    seeded: AsyncEngine, client: httpx.AsyncClient, login_as: LoginAs
) -> None:
    central = await login_as(Role.CENTRAL_OFFICER)
    response = await client.get("/api/v1/statistics/tips?fiscal_year=2569", headers=central)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["total"] == 21
    assert body["by_province"] == {"40": 12, "10": 3, "50": 6}
    assert body["by_region"] == {"northeast": 12, "central": 3, "north": 6}
    assert body["by_month"] == {"2025-11": 12, "2026-01": 3, "2026-02": 6}
    assert body["acknowledgement"]["met"] == 8
    assert body["period"]["label_th"] == "ปีงบประมาณ พ.ศ. 2569"
    assert body["period"]["start"] == "2025-10-01"
    assert body["time_to_acknowledge"]["median"] == 18

    provincial = await login_as(Role.PROVINCIAL_OFFICER, "10")
    own = await client.get("/api/v1/statistics/tips?fiscal_year=2569", headers=provincial)
    assert own.json()["total"] == 3
    assert own.json()["province_code"] == "10"
    other = await client.get(
        "/api/v1/statistics/tips?fiscal_year=2569&province_code=40", headers=provincial
    )
    assert other.status_code == 404
    assert (
        await client.get("/api/v1/statistics/annual?fiscal_year=2569", headers=provincial)
    ).status_code == 403
    assert (
        await client.get("/api/v1/statistics/tips?fiscal_year=2569&year=2569", headers=central)
    ).status_code == 422
    assert (
        await client.get("/api/v1/statistics/tips?fiscal_year=2026", headers=central)
    ).status_code == 422
    assert (await client.get("/api/v1/statistics/tips")).status_code == 401

    inv = (
        await client.get("/api/v1/statistics/investigations?fiscal_year=2569", headers=central)
    ).json()
    assert inv["concluded_by_outcome"] == {"substantiated": 4, "unsubstantiated": 2}
    assert Decimal(inv["damage_estimated_thb"]) == Decimal("4002.00")
    ref = (
        await client.get("/api/v1/statistics/referrals?fiscal_year=2569", headers=central)
    ).json()
    assert ref["by_agency"] == {"NACC": {"prosecuted": 1}}
    vol = await client.get("/api/v1/statistics/volunteers", headers=provincial)
    assert vol.status_code == 200
    assert vol.json()["total"] == 0


async def test_the_annual_report_as_json_and_csv(
    seeded: AsyncEngine, client: httpx.AsyncClient, login_as: LoginAs
) -> None:
    central = await login_as(Role.CENTRAL_OFFICER)
    report = (
        await client.get("/api/v1/statistics/annual?fiscal_year=2569", headers=central)
    ).json()
    assert report["reports_received"] == 21
    assert report["acknowledged_within_deadline"] == 8
    assert report["investigations_opened"] == 6
    assert report["investigations_concluded"] == 6
    assert report["outcomes"] == {"substantiated": 4, "unsubstantiated": 2}
    assert report["referrals"] == 1
    assert report["prosecutions"] == 1
    assert Decimal(report["damage_estimated_thb"]) == Decimal("4002.00")
    assert report["damage_recorded"] == 4
    assert Decimal(report["amount_recovered_thb"]) == Decimal("200")
    for request in (
        client.get("/api/v1/statistics/annual?fiscal_year=2569&format=csv", headers=central),
        client.get(
            "/api/v1/statistics/annual?fiscal_year=2569",
            headers={**central, "Accept": "text/csv"},
        ),
    ):
        response = await request
        assert response.headers["content-type"].startswith("text/csv")
        lines = response.text.splitlines()
        assert lines[0] == "figure,value"
        assert "reports_received,21" in lines
        assert "outcomes.substantiated,4" in lines


async def test_public_figures_are_suppressed_and_cached(
    seeded: AsyncEngine, client: httpx.AsyncClient
) -> None:
    response = await client.get("/api/v1/public/statistics?fiscal_year=2569")
    assert response.status_code == 200
    assert response.headers["cache-control"] == "public, max-age=300"
    body = response.json()
    provinces = {row["key"]: row for row in body["provinces"]}
    regions = {row["key"]: row for row in body["regions"]}
    assert body["national"]["received"] == {"value": 21, "suppressed": False}
    assert regions["northeast"]["received"] == {"value": 12, "suppressed": False}
    assert provinces["10"]["received"] == {"value": None, "suppressed": True}  # 3 < 5
    # Khon Kaen's 12 is hidden too: the other 19 northeastern provinces have 0 tips
    # (hidden, < 5), so publishing 12 would show, with the region's 12, that they are 0.
    assert provinces["40"]["received"] == {"value": None, "suppressed": True}
    # Every published count is 5 or more.
    published = [
        cell["value"]
        for row in [body["national"], *body["regions"], *body["provinces"], *body["months"]]
        for cell in (row["received"], row["acknowledged_in_time"], row["concluded"])
        if not cell["suppressed"]
    ] + [c["value"] for c in body["outcomes"].values() if not c["suppressed"]]
    assert published
    assert min(published) >= 5
    assert body["complaint_channel"]["acknowledge_within_days"] == 7
    again = await client.get(
        "/api/v1/public/statistics?fiscal_year=2569",
        headers={"If-None-Match": response.headers["etag"]},
    )
    assert again.status_code == 304

    csv = await client.get("/api/v1/public/statistics.csv?fiscal_year=2569")
    assert csv.headers["content-type"].startswith("text/csv")
    lines = csv.text.lstrip("\ufeff").splitlines()
    assert lines[0].startswith("fiscal_year_be,level,code")
    assert any(line.startswith("2569,province,10,") and line.endswith(",,,") for line in lines)
    meta = (await client.get("/api/v1/public/statistics/metadata?fiscal_year=2569")).json()
    assert meta["temporal_coverage_start"] == "2025-10-01"
    assert meta["license_id"]


async def test_the_transparency_page_renders_thai_first(
    seeded: AsyncEngine, client: httpx.AsyncClient
) -> None:
    response = await client.get("/transparency?fiscal_year=2569")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    page = response.text
    assert '<html lang="th">' in page
    assert page.count("<svg") == 3
    assert 'data-suppressed="true"' in page
    assert "ตอบรับภายใน 7 วัน" in page
    assert "http://" not in page.replace("http://testserver", "")
    english = await client.get("/transparency?fiscal_year=2569&lang=en")
    assert '<html lang="en">' in english.text
