"""Intake: validation, idempotency, receipts and the follow-up's defences."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx
import pytest

from domain.policy import Role
from tests.conftest import LoginAs, assert_problem
from tests.tips.helpers import tip_body


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"description": "สั้นไป"}, "description"),
        ({"description": "ก" * 10_001}, "description"),
        ({"amount_thb": "-1"}, "amount_thb"),
        ({"category": "gossip"}, "category"),
        ({"channel": "fax"}, "channel"),
        ({"incident_date": "2026-10-05"}, "incident"),
        (
            {"incident_period_start": "2026-10-05", "incident_period_end": "2026-10-01"},
            "incident_period_end",
        ),
        ({"province_code": "99"}, "province"),
        ({"province_code": "Khon Kaen"}, "province"),
        ({"unexpected": True}, "unexpected"),
    ],
)
async def test_invalid_submissions_are_422_problems(
    client: httpx.AsyncClient, overrides: dict[str, Any], field: str
) -> None:
    response = await client.post("/api/v1/tips", json=tip_body(**overrides))
    assert_problem(response, 422)
    assert field in response.text


async def test_minimal_anonymous_submission(client: httpx.AsyncClient) -> None:
    body = {"province_code": "TH-38", "category": "other", "description": "ก" * 20}
    response = await client.post("/api/v1/tips", json=body)
    assert response.status_code == 201
    created = response.json()
    assert set(created) == {"id", "reference", "status", "ack_due_at", "feedback_due_at", "receipt"}
    assert response.headers["location"] == f"/api/v1/tips/{created['id']}"


async def test_amounts_are_decimal_strings_of_baht_and_satang(
    client: httpx.AsyncClient, login_as: LoginAs
) -> None:
    central = await login_as(Role.CENTRAL_OFFICER)
    created = await client.post("/api/v1/tips", json=tip_body(amount_thb="5000.5"))
    assert created.status_code == 201, created.text
    record = await client.get(f"/api/v1/tips/{created.json()['id']}", headers=central)
    assert record.json()["amount_thb"] == "5000.50"
    for amount in (12.345, "12.345", "1e3", "-1", "", "5,000"):
        refused = await client.post("/api/v1/tips", json=tip_body(amount_thb=amount))
        problem = assert_problem(refused, 422)
        assert [error["loc"] for error in problem["errors"]] == [["body", "amount_thb"]], amount
        assert "at most 12 digits before the point and 2 after" in refused.text, amount


async def test_references_count_up_within_the_year(client: httpx.AsyncClient) -> None:
    refs = [
        (await client.post("/api/v1/tips", json=tip_body())).json()["reference"] for _ in range(3)
    ]
    numbers = [int(r.rsplit("-", 1)[1]) for r in refs]
    assert numbers == [numbers[0], numbers[0] + 1, numbers[0] + 2]


async def test_idempotency_keys_are_scoped_and_bound_to_the_request(
    client: httpx.AsyncClient, login_as: LoginAs
) -> None:
    volunteer = await login_as(Role.VOLUNTEER, "40")
    key = {"Idempotency-Key": str(uuid.uuid4())}
    anonymous = await client.post("/api/v1/tips", json=tip_body(), headers=key)
    signed_in = await client.post("/api/v1/tips", json=tip_body(), headers={**key, **volunteer})
    assert anonymous.status_code == signed_in.status_code == 201
    assert anonymous.json()["id"] != signed_in.json()["id"]  # another caller, another key
    other_body = await client.post("/api/v1/tips", json=tip_body(category="extortion"), headers=key)
    assert_problem(other_body, 422)
    assert "Idempotency-Key" in other_body.json()["detail"]
    bad = await client.post("/api/v1/tips", json=tip_body(), headers={"Idempotency-Key": "short"})
    assert_problem(bad, 422)


async def test_wrong_receipts_are_generic_404s_then_rate_limited(
    client: httpx.AsyncClient,
) -> None:
    created = (await client.post("/api/v1/tips", json=tip_body())).json()
    real = created["receipt"]
    one_off = real[:-1] + ("Z" if real[-1] != "Z" else "Y")  # never the real receipt
    wrong = ["AAAA-BBBB-CCCC-DDDD-EEEE", "", "not a receipt at all", one_off]
    details = set()
    for attempt in range(10):
        response = await client.post(
            "/api/v1/tips/follow-up", json={"receipt": wrong[attempt % len(wrong)]}
        )
        assert_problem(response, 404)
        details.add(response.json()["detail"])
    assert len(details) == 1  # nothing about why
    # The right receipt works until the limit is reached...
    limited = await client.post("/api/v1/tips/follow-up", json={"receipt": real})
    assert_problem(limited, 429)
    assert int(limited.headers["retry-after"]) >= 1
    posted = await client.post(
        "/api/v1/tips/follow-up/messages", json={"receipt": real, "body": "ข้อมูลเพิ่มเติม"}
    )
    assert_problem(posted, 429)


async def test_successful_follow_ups_do_not_count_against_the_limit(
    client: httpx.AsyncClient,
) -> None:
    receipt = (await client.post("/api/v1/tips", json=tip_body())).json()["receipt"]
    for _ in range(15):
        response = await client.post("/api/v1/tips/follow-up", json={"receipt": receipt})
        assert response.status_code == 200


async def test_receipts_are_never_accepted_in_the_url(client: httpx.AsyncClient) -> None:
    receipt = (await client.post("/api/v1/tips", json=tip_body())).json()["receipt"]
    response = await client.post(f"/api/v1/tips/follow-up?receipt={receipt}", json={})
    assert_problem(response, 422)
    response = await client.get(f"/api/v1/tips/follow-up/{receipt}")
    assert response.status_code in {401, 404, 405}


async def test_concurrent_retries_make_one_tip(
    client: httpx.AsyncClient, login_as: LoginAs
) -> None:
    central = await login_as(Role.CENTRAL_OFFICER)
    key = {"Idempotency-Key": str(uuid.uuid4())}
    answers = await asyncio.gather(
        *(client.post("/api/v1/tips", json=tip_body(), headers=key) for _ in range(3))
    )
    assert [a.status_code for a in answers] == [201, 201, 201]
    assert len({a.json()["id"] for a in answers}) == 1
    assert len({a.json()["receipt"] for a in answers}) == 1
    assert sorted(a.headers.get("idempotent-replayed", "") for a in answers) == ["", "true", "true"]
    listed = (await client.get("/api/v1/tips", headers=central)).json()["items"]
    assert len(listed) == 1
