"""Defects found in review: Unicode digits, the users API as a side door, cursors, If-Match."""

from __future__ import annotations

import base64
import json

import httpx
import pytest

from domain.policy import Role
from tests.conftest import LoginAs, assert_problem
from tests.volunteers.helpers import application, apply, approve, national_id

THAI_DIGITS = str.maketrans("0123456789", "๐๑๒๓๔๕๖๗๘๙")
FULL_WIDTH = str.maketrans("0123456789", "".join(chr(0xFF10 + d) for d in range(10)))


@pytest.mark.parametrize("table", [THAI_DIGITS, FULL_WIDTH])
async def test_national_ids_and_phones_take_ascii_digits_only(
    client: httpx.AsyncClient, table: dict[int, str]
) -> None:
    nid = national_id()
    # Python's \d and int() accept Thai digits: the same ID must not slip past the
    # uniqueness check (a keyed hash of another string) by being spelled differently.
    assert_problem(
        await client.post(
            "/api/v1/volunteers/applications",
            json=application(national_id=nid[:9].translate(table) + nid[9:]),
        ),
        422,
    )
    assert_problem(
        await client.post(
            "/api/v1/volunteers/applications",
            json=application(national_id=nid.translate(table)),
        ),
        422,
    )
    assert_problem(
        await client.post(
            "/api/v1/volunteers/applications",
            json=application(phone="08" + "12345678".translate(table)),
        ),
        422,
    )


async def test_volunteer_accounts_are_not_managed_through_the_users_api(
    client: httpx.AsyncClient, login_as: LoginAs
) -> None:
    admin = await login_as(Role.ADMIN)
    volunteer_id = await apply(client)
    await approve(client, volunteer_id, admin)
    account_id = (await client.get(f"/api/v1/volunteers/{volunteer_id}", headers=admin)).json()[
        "account_id"
    ]
    users = f"/api/v1/users/{account_id}"
    for change in ({"is_active": False}, {"role": "auditor"}, {"province_code": "10"}):
        body = assert_problem(await client.patch(users, json=change, headers=admin), 409)
        assert "volunteer registry" in body["detail"]
    assert (
        await client.patch(users, json={"display_name": "อาสา"}, headers=admin)
    ).status_code == 200
    assert_problem(
        await client.post(
            "/api/v1/users",
            json={
                "username": "side-door",
                "password": "a long enough password",
                "display_name": "x",
                "role": "volunteer",
                "province_code": "40",
            },
            headers=admin,
        ),
        409,
    )
    officer = await login_as(Role.CENTRAL_OFFICER)
    other = (
        await client.get(f"/api/v1/users/{officer['X-Test-Account-Id']}", headers=admin)
    ).json()
    assert_problem(
        await client.patch(
            f"/api/v1/users/{other['id']}",
            json={"role": "volunteer", "province_code": "40"},
            headers=admin,
        ),
        409,
    )


@pytest.mark.parametrize("identifier", [123, ["a"], {"x": 1}])
async def test_malformed_cursor_ids_are_422(
    client: httpx.AsyncClient, login_as: LoginAs, identifier: object
) -> None:
    officer = await login_as(Role.CENTRAL_OFFICER)
    raw = json.dumps(["t", "2026-01-01T00:00:00+00:00", identifier]).encode()
    cursor = base64.urlsafe_b64encode(raw).decode().rstrip("=")
    assert_problem(
        await client.get("/api/v1/volunteers", params={"cursor": cursor}, headers=officer), 422
    )


async def test_if_match_follows_http_semantics(
    client: httpx.AsyncClient, login_as: LoginAs
) -> None:
    officer = await login_as(Role.PROVINCIAL_OFFICER, "40")
    url = f"/api/v1/volunteers/{await apply(client)}"

    async def patch(if_match: str) -> httpx.Response:
        return await client.patch(
            url, json={"district": f"d{if_match[:3]}"}, headers=officer | {"If-Match": if_match}
        )

    assert_problem(await patch('W/"v1"'), 412)  # a weak tag never matches If-Match
    assert (await patch('"v99", "v1"')).status_code == 200  # any listed tag may match
    assert (await patch("*")).status_code == 200  # any current version
    assert_problem(await patch('"v2"'), 412)  # now stale: the record is at v3
