"""Token revocation that means it: every change that ends an account's sessions also
refuses, at the very next request, every access token issued before it (the account's
token version, the `tv` claim, checked with the account on each request).

Each trigger: the old access token works, the change happens, the old token gets 401
right after (not when it expires 15 minutes later), and a new sign-in works.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import httpx
import pytest
from fastapi import FastAPI

from domain.accounts.model import Account
from domain.policy import Role
from tests.accounts.helpers import audit_actions
from tests.conftest import CreateAccount, LoginAs
from tests.sessions.helpers import PASSWORD, assert_unauthenticated, bearer, sign_in

USERS = "/api/v1/users"
NEW_PASSWORD = "a brand new passphrase of mine"

#: (what happens, given the client, the account and an admin's headers) -> the password
#: that signs in afterwards.
Trigger = Callable[[httpx.AsyncClient, Account, dict[str, str], dict[str, str]], Awaitable[str]]


async def change_own_password(
    client: httpx.AsyncClient, _account: Account, own: dict[str, str], _admin: dict[str, str]
) -> str:
    response = await client.post(
        "/api/v1/me/password",
        json={"current_password": PASSWORD, "new_password": NEW_PASSWORD},
        headers=own,
    )
    assert response.status_code == 204
    return NEW_PASSWORD


async def reset_password(
    client: httpx.AsyncClient, account: Account, _own: dict[str, str], admin: dict[str, str]
) -> str:
    response = await client.post(f"{USERS}/{account.id}/reset-password", headers=admin)
    assert response.status_code == 200
    return str(response.json()["temporary_password"])


async def deactivate_and_reactivate(
    client: httpx.AsyncClient, account: Account, _own: dict[str, str], admin: dict[str, str]
) -> str:
    for active in (False, True):
        response = await client.patch(
            f"{USERS}/{account.id}", json={"is_active": active}, headers=admin
        )
        assert response.status_code == 200
    # Reactivated: tokens issued before the deactivation stay dead all the same.
    return PASSWORD


async def change_role(
    client: httpx.AsyncClient, account: Account, _own: dict[str, str], admin: dict[str, str]
) -> str:
    response = await client.patch(
        f"{USERS}/{account.id}",
        json={"role": "central_officer", "province_code": None},
        headers=admin,
    )
    assert response.status_code == 200
    return PASSWORD


async def change_province(
    client: httpx.AsyncClient, account: Account, _own: dict[str, str], admin: dict[str, str]
) -> str:
    response = await client.patch(
        f"{USERS}/{account.id}", json={"province_code": "50"}, headers=admin
    )
    assert response.status_code == 200
    return PASSWORD


TRIGGERS: dict[str, tuple[Trigger, str]] = {
    "password change": (change_own_password, "user.password_changed"),
    "password reset": (reset_password, "user.password_reset"),
    "deactivation": (deactivate_and_reactivate, "user.deactivated"),
    "role change": (change_role, "user.role_changed"),
    "province change": (change_province, "user.role_changed"),
}


@pytest.mark.parametrize("trigger", list(TRIGGERS))
async def test_old_access_tokens_die_at_once(
    app: FastAPI,
    client: httpx.AsyncClient,
    create_account: CreateAccount,
    login_as: LoginAs,
    trigger: str,
) -> None:
    change, audited = TRIGGERS[trigger]
    admin = await login_as(Role.ADMIN)
    account = await create_account("somchai", PASSWORD, Role.PROVINCIAL_OFFICER, "40")
    first, second = (
        bearer(await sign_in(client, "somchai")),
        bearer(await sign_in(client, "somchai")),
    )
    for headers in (first, second):
        assert (await client.get("/api/v1/me", headers=headers)).status_code == 200

    password = await change(client, account, first, admin)

    for headers in (first, second):  # every token of every session, the caller's own too
        assert_unauthenticated(await client.get("/api/v1/me", headers=headers))
    again = await sign_in(client, "somchai", password)
    assert again.status_code == 200
    assert (await client.get("/api/v1/me", headers=bearer(again))).status_code == 200
    actions = [a for a, entity, _ in await audit_actions(app) if entity == str(account.id)]
    assert audited in actions


async def test_other_changes_leave_tokens_alone(
    client: httpx.AsyncClient, create_account: CreateAccount, login_as: LoginAs
) -> None:
    """A display name or email change revokes nothing."""
    admin = await login_as(Role.ADMIN)
    account = await create_account("somchai", PASSWORD, Role.PROVINCIAL_OFFICER, "40")
    own = bearer(await sign_in(client, "somchai"))
    response = await client.patch(
        f"{USERS}/{account.id}",
        json={"display_name": "สมชาย ข.", "email": "somchai@example.go.th"},
        headers=admin,
    )
    assert response.status_code == 200
    assert (await client.get("/api/v1/me", headers=own)).status_code == 200
