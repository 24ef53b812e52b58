"""Accounts under concurrent requests: lockouts count every guess, and a sign-in racing an
admin's change neither deadlocks (500) nor loses either update.

The use cases lock the account row before anything else and audit last (lock order in
domain/accounts.py); these tests send the requests at once with asyncio.gather.
"""

from __future__ import annotations

import asyncio
from collections import Counter

import httpx
from fastapi import FastAPI
from sqlmodel import select

from api.services import services_of
from domain.policy import Role
from persistence.accounts.tables import AccountRow
from tests.accounts.helpers import USERS, audit_actions
from tests.conftest import CreateAccount, LoginAs, assert_problem
from tests.sessions.helpers import PASSWORD, bearer, sign_in
from tests.volunteers.helpers import apply, approve

ME_PASSWORD = "/api/v1/me/password"
NEW_PASSWORD = "a brand new passphrase"
MAX_FAILURES = 5  # LoginPolicy.max_failures (LOGIN_MAX_FAILURES)


async def account_row(app: FastAPI, username: str) -> AccountRow:
    async with services_of(app).database.sessions()() as session:
        row: AccountRow = (
            await session.exec(select(AccountRow).where(AccountRow.username == username))
        ).one()
    return row


async def test_parallel_wrong_current_passwords_lock_the_account(
    app: FastAPI, client: httpx.AsyncClient, create_account: CreateAccount
) -> None:
    """Someone holding a stolen access token fires 20 guesses at once: the 5th locks the
    account, exactly as 5 guesses one after another would."""
    victim = await create_account("victim", PASSWORD, Role.PROVINCIAL_OFFICER, "40")
    headers = bearer(await sign_in(client, "victim"))

    async def guess(n: int) -> httpx.Response:
        body = {"current_password": f"wrong guess {n:02}", "new_password": NEW_PASSWORD}
        return await client.post(ME_PASSWORD, json=body, headers=headers)

    answers = await asyncio.gather(*(guess(n) for n in range(20)))

    assert Counter(a.status_code for a in answers) == {
        422: MAX_FAILURES - 1,
        429: 21 - MAX_FAILURES,
    }
    row = await account_row(app, "victim")
    assert row.locked_until is not None
    # The right password does not help while the lockout lasts.
    locked = await client.post(
        ME_PASSWORD,
        json={"current_password": PASSWORD, "new_password": NEW_PASSWORD},
        headers=headers,
    )
    assert_problem(locked, 429)
    assert int(locked.headers["Retry-After"]) > 0
    assert_problem(await sign_in(client, "victim"), 429)

    actions = Counter(
        action for action, entity, _ in await audit_actions(app) if entity == str(victim.id)
    )
    assert actions["user.password_change_failed"] == MAX_FAILURES
    assert actions["auth.locked"] == 1


async def test_sign_in_racing_an_admin_change_keeps_both(
    app: FastAPI, client: httpx.AsyncClient, create_account: CreateAccount, login_as: LoginAs
) -> None:
    """An officer signs in while an admin renames them (several officers at once): both
    requests succeed, and the account shows the sign-in time and the new name."""
    admin = await login_as(Role.ADMIN)
    officers = [
        await create_account(f"officer-{n}", PASSWORD, Role.PROVINCIAL_OFFICER, "40")
        for n in range(6)
    ]

    async def rename(n: int) -> httpx.Response:
        return await client.patch(
            f"{USERS}/{officers[n].id}", json={"display_name": f"Renamed {n}"}, headers=admin
        )

    answers = await asyncio.gather(
        *(
            call
            for n in range(len(officers))
            for call in (sign_in(client, f"officer-{n}"), rename(n))
        )
    )

    assert [a.status_code for a in answers] == [200] * len(answers), [a.text for a in answers]
    for n in range(len(officers)):
        row = await account_row(app, f"officer-{n}")
        assert row.last_login_at is not None, n
        assert row.display_name == f"Renamed {n}"


async def test_sign_in_racing_a_password_reset_keeps_the_reset(
    app: FastAPI, client: httpx.AsyncClient, create_account: CreateAccount, login_as: LoginAs
) -> None:
    """A reset racing a sign-in never answers 500, and the temporary password is the one
    that works afterwards (the sign-in did not write the old hash back)."""
    admin = await login_as(Role.ADMIN)
    officers = [
        await create_account(f"officer-{n}", PASSWORD, Role.PROVINCIAL_OFFICER, "40")
        for n in range(6)
    ]

    async def reset(n: int) -> httpx.Response:
        return await client.post(f"{USERS}/{officers[n].id}/reset-password", headers=admin)

    answers = await asyncio.gather(
        *(
            call
            for n in range(len(officers))
            for call in (sign_in(client, f"officer-{n}"), reset(n))
        )
    )

    assert all(a.status_code in (200, 401) for a in answers), [a.text for a in answers]
    for n in range(len(officers)):
        temporary = answers[2 * n + 1].json()["temporary_password"]
        assert (await sign_in(client, f"officer-{n}", temporary)).status_code == 200
        row = await account_row(app, f"officer-{n}")
        assert row.must_change_password is True


async def test_two_activations_choosing_one_username_at_once(
    client: httpx.AsyncClient, login_as: LoginAs
) -> None:
    """Two new volunteers pick the same username at the same moment: one gets it, the
    other a 409 (not a 500) and can still activate with another name."""
    officer = await login_as(Role.PROVINCIAL_OFFICER, "40")
    codes = [await approve(client, await apply(client), officer) for _ in range(2)]

    async def activate(code: str, username: str = "somsri.k") -> httpx.Response:
        body = {"activation_code": code, "username": username, "password": PASSWORD}
        return await client.post("/api/v1/volunteers/activate", json=body)

    answers = await asyncio.gather(*(activate(code) for code in codes))

    assert sorted(a.status_code for a in answers) == [200, 409], [a.text for a in answers]
    loser = codes[[a.status_code for a in answers].index(409)]
    assert_problem(answers[codes.index(loser)], 409)
    assert (await activate(loser, "somsri.k2")).status_code == 200
