"""A story through the real write paths: a tip submitted, acknowledged, reviewed,
investigated and concluded with amounts through the API moves the figures at once
(the repositories' own writes fire the statistics triggers)."""

from __future__ import annotations

from decimal import Decimal

import httpx

from domain.clock import FrozenClock
from domain.policy import Role
from domain.statistics.periods import current_fiscal_year
from tests.conftest import LoginAs
from tests.investigations.helpers import move, opened, triaged_tip


async def test_figures_follow_the_writes(
    client: httpx.AsyncClient, login_as: LoginAs, clock: FrozenClock
) -> None:
    central = await login_as(Role.CENTRAL_OFFICER)
    khon_kaen = await login_as(Role.PROVINCIAL_OFFICER, "40")
    fy = current_fiscal_year(clock.now())
    url = f"/api/v1/statistics/tips?fiscal_year={fy}"
    before = (await client.get(url, headers=central)).json()
    assert before["total"] == 0

    tip = await triaged_tip(client, khon_kaen, province_code="40")
    case = await opened(client, khon_kaen, [tip["id"]])
    started = await move(client, case["id"], "start", khon_kaen, f'"v{case["version"]}"')
    concluded = await move(
        client,
        case["id"],
        "conclude",
        khon_kaen,
        started.headers["etag"],
        outcome="substantiated",
        damage_estimated_thb="150000.00",
        amount_recovered_thb="20000.50",
    )
    assert concluded.status_code == 200, concluded.text
    assert concluded.json()["damage_estimated_thb"] == "150000.00"

    tips = (await client.get(url, headers=central)).json()
    assert tips["total"] == 1
    assert tips["by_province"] == {"40": 1}
    assert tips["by_status"] == {"closed": 1}
    assert tips["by_outcome"] == {"substantiated": 1}
    assert tips["acknowledgement"]["met"] == 1
    assert tips["feedback"]["met"] == 1  # the conclusion told the reporter
    assert tips["time_to_acknowledge"]["median"] == 0  # the frozen clock: same instant

    report = (
        await client.get(f"/api/v1/statistics/annual?fiscal_year={fy}", headers=central)
    ).json()
    assert report["investigations_opened"] == 1
    assert report["outcomes"] == {"substantiated": 1}
    assert Decimal(report["damage_estimated_thb"]) == Decimal("150000.00")
    assert Decimal(report["amount_recovered_thb"]) == Decimal("20000.50")
    assert report["damage_recorded"] == report["recovery_recorded"] == 1

    bad = await move(
        client, case["id"], "reopen", central, concluded.headers["etag"], damage_estimated_thb="1"
    )
    assert bad.status_code == 422
