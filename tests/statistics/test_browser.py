"""The transparency page in a real browser: Debian's headless `chromium` loads the page
the app served, with every network request refused, and the DOM it built still holds the
three charts, the province table and the suppression markers. A screenshot is taken
(`UPDATE_SCREENSHOT=1` writes it to docs/transparency.png). Skipped when chromium is not
installed (`.ci/run` installs it: `apt-get install -y chromium`)."""

from __future__ import annotations

import os
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.clock import FrozenClock

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)

pytestmark = pytest.mark.skipif(
    CHROMIUM is None,
    reason="Debian's chromium is not installed (apt-get install -y chromium; .ci/run does)",
)

#: A fiscal year of tips over every province: a few hundred, uneven (some provinces
#: under 5), two thirds acknowledged within 7 days, some investigations concluded.
SEED = """
INSERT INTO accounts (id, username, display_name, role, is_active, must_change_password,
                      failed_logins, created_at, updated_at, version)
VALUES ('00000000-0000-0000-0000-00000000beef', 'seed', 'Seed', 'central_officer', true,
        false, 0, now(), now(), 1);
INSERT INTO tips (id, reference, province_code, category, channel, status, received_at,
                  ack_due_at, feedback_due_at, acknowledged_at, description, version)
SELECT gen_random_uuid(), 'T-' || p.code || '-' || g, p.code, 'bribery', 'web',
       'acknowledged', r.at, r.at + interval '7 days', r.at + interval '3 months 7 days',
       CASE WHEN g % 3 <> 0 THEN r.at + interval '2 days' END, '\\x00'::bytea, 1
FROM provinces p
CROSS JOIN LATERAL generate_series(1, (p.code::int * 7) % 23) AS g
CROSS JOIN LATERAL (SELECT timestamptz '2025-10-01 03:00+00'
                           + ((g * 37 + p.code::int) % 360) * interval '1 day' AS at) r;
INSERT INTO investigations (id, reference, lead_province_code, priority, status, outcome,
                            created_at, created_by, updated_at, concluded_at, title, version)
SELECT gen_random_uuid(), 'I-' || p.code || '-' || g, p.code, 'normal', 'concluded',
       (ARRAY['substantiated', 'unsubstantiated', 'referred', 'insufficient_evidence'])
       [1 + g % 4], timestamptz '2025-11-01 03:00+00', '00000000-0000-0000-0000-00000000beef',
       now(), timestamptz '2026-03-01 03:00+00' + g * interval '3 days', '\\x00'::bytea, 1
FROM provinces p CROSS JOIN LATERAL generate_series(1, (p.code::int * 5) % 9) AS g;
"""


def chromium(*args: str) -> subprocess.CompletedProcess[str]:
    assert CHROMIUM is not None
    return subprocess.run(  # noqa: S603 - our own arguments
        [
            CHROMIUM,
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            # No request leaves the browser: the page must need none.
            "--host-resolver-rules=MAP * ~NOTFOUND",
            "--no-first-run",
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


async def test_the_page_renders_in_chromium(
    db: AsyncEngine, client: httpx.AsyncClient, clock: FrozenClock, tmp_path: Path
) -> None:
    clock.set(NOW)
    async with db.begin() as conn:
        for statement in SEED.split(";\n"):
            if statement.strip():
                await conn.execute(text(statement))
    response = await client.get("/transparency?fiscal_year=2569")
    assert response.status_code == 200
    page = tmp_path / "transparency.html"
    page.write_text(response.text, encoding="utf-8")

    dom = chromium("--dump-dom", page.as_uri())
    assert dom.returncode == 0, dom.stderr
    html = dom.stdout
    assert '<html lang="th">' in html
    assert html.count("<svg") == 3  # tips per month, deadline compliance, outcomes
    assert html.count('class="bar"') >= 6  # drawn bars
    assert 'data-suppressed="true"' in html  # suppressed cells marked
    assert "ขอนแก่น" in html  # the province table, Thai names
    assert html.count('<tr class="region">') + html.count("<tr class='region'>") >= 7

    shot = tmp_path / "transparency.png"
    result = chromium(f"--screenshot={shot}", "--window-size=1000,2600", page.as_uri())
    assert result.returncode == 0, result.stderr
    assert shot.stat().st_size > 10_000
    if os.environ.get("UPDATE_SCREENSHOT") == "1":
        shutil.copyfile(shot, ROOT / "docs" / "transparency.png")
