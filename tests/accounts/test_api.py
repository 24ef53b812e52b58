"""Account management: admins create, list, change and reset accounts; others may not."""

from __future__ import annotations

from typing import Any

import httpx
from fastapi import FastAPI

from domain.policy import Role
from tests.accounts.helpers import USERS, audit_actions
from tests.conftest import CreateAccount, LoginAs, assert_problem
from tests.sessions.helpers import PASSWORD, assert_unauthenticated, bearer, refresh, sign_in


def new_user(**override: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "username": "Somchai.K",
        "password": PASSWORD,
        "display_name": "สมชาย ก.",
        "role": "provincial_officer",
        "email": "somchai@example.go.th",
        "province_code": "TH-40",
    }
    body.update(override)
    return body


async def test_admin_manages_an_officer_from_creation_to_deactivation(
    app: FastAPI, client: httpx.AsyncClient, login_as: LoginAs
) -> None:
    admin = await login_as(Role.ADMIN)

    created = await client.post(USERS, json=new_user(), headers=admin)
    assert created.status_code == 201, created.text
    user = created.json()
    assert user["username"] == "somchai.k"
    assert user["province_code"] == "40"
    assert user["is_active"] is True
    assert "password_hash" not in user
    assert "argon2" not in created.text

    # The officer signs in with the password the admin set.
    signed_in = await sign_in(client, "somchai.k")
    assert signed_in.status_code == 200

    fetched = await client.get(f"{USERS}/{user['id']}", headers=admin)
    assert fetched.json() == {**user, "last_login_at": fetched.json()["last_login_at"]}

    renamed = await client.patch(
        f"{USERS}/{user['id']}", json={"display_name": "สมชาย ข.", "email": None}, headers=admin
    )
    assert renamed.status_code == 200
    assert renamed.json()["display_name"] == "สมชาย ข."
    assert renamed.json()["email"] is None
    # A name change does not end the officer's sessions.
    assert (await client.get("/api/v1/me", headers=bearer(signed_in))).status_code == 200

    promoted = await client.patch(
        f"{USERS}/{user['id']}",
        json={"role": "central_officer", "province_code": None},
        headers=admin,
    )
    assert promoted.status_code == 200
    assert promoted.json()["role"] == "central_officer"
    assert_unauthenticated(await client.get("/api/v1/me", headers=bearer(signed_in)))
    assert_unauthenticated(await refresh(client, signed_in.json()["refresh_token"]))

    deactivated = await client.patch(
        f"{USERS}/{user['id']}", json={"is_active": False}, headers=admin
    )
    assert deactivated.json()["is_active"] is False
    reactivated = await client.patch(
        f"{USERS}/{user['id']}", json={"is_active": True}, headers=admin
    )
    assert reactivated.json()["is_active"] is True

    actions = [(a, d) for a, entity, d in await audit_actions(app) if entity == user["id"]]
    assert [a for a, _ in actions] == [
        "user.created",
        "auth.login_succeeded",
        "user.updated",
        "user.role_changed",
        "auth.token_family_revoked",
        "user.deactivated",
        "user.reactivated",
    ]
    assert actions[2][1] == {"fields": ["display_name", "email"]}
    assert actions[3][1]["from_role"] == "provincial_officer"
    assert actions[3][1]["to_role"] == "central_officer"


async def test_create_validates_scope_province_and_password(
    client: httpx.AsyncClient, login_as: LoginAs
) -> None:
    admin = await login_as(Role.ADMIN)
    cases = {
        "no province for a provincial role": new_user(province_code=None),
        "province for a central role": new_user(role="central_officer"),
        "unknown province": new_user(province_code="99"),
        "partner without agency": new_user(role="partner", province_code=None),
        "short password": new_user(password="too short"),
        "password over 1024 characters": new_user(password="p" * 1025),
        "bad username": new_user(username="a b"),
        "bad email": new_user(email="not-an-email"),
        "unknown role": new_user(role="king"),
        "unknown field": new_user(password_hash="x"),
    }
    for case, body in cases.items():
        response = await client.post(USERS, json=body, headers=admin)
        assert response.status_code == 422, (case, response.text)
    assert (await client.post(USERS, json=new_user(), headers=admin)).status_code == 201
    taken = await client.post(USERS, json=new_user(username="SOMCHAI.K"), headers=admin)
    assert_problem(taken, 409)


async def test_list_pages_newest_first_with_filters(
    client: httpx.AsyncClient, login_as: LoginAs, create_account: CreateAccount
) -> None:
    central = await login_as(Role.CENTRAL_OFFICER)
    for i in range(5):
        await create_account(f"officer-{i}", PASSWORD, Role.PROVINCIAL_OFFICER, "40")
    await create_account("bangkok", PASSWORD, Role.PROVINCIAL_OFFICER, "10")
    await create_account("auditor", PASSWORD, Role.AUDITOR)

    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"province_code": "40", "limit": 2}
        if cursor:
            params["cursor"] = cursor
        page = await client.get(USERS, params=params, headers=central)
        assert page.status_code == 200
        seen += [u["username"] for u in page.json()["items"]]
        cursor = page.json()["next_cursor"]
        if cursor is None:
            break
    assert sorted(seen) == [f"officer-{i}" for i in range(5)]
    assert len(set(seen)) == 5

    auditors = await client.get(USERS, params={"role": "auditor"}, headers=central)
    assert [u["username"] for u in auditors.json()["items"]] == ["auditor"]
    everyone = await client.get(USERS, params={"is_active": True}, headers=central)
    assert len(everyone.json()["items"]) == 8  # 7 + the central officer
    assert_problem(await client.get(USERS, params={"limit": 201}, headers=central), 422)
    assert_problem(await client.get(USERS, params={"cursor": "garbage!"}, headers=central), 422)


async def test_central_officer_reads_but_does_not_change(
    client: httpx.AsyncClient, login_as: LoginAs, create_account: CreateAccount
) -> None:
    central = await login_as(Role.CENTRAL_OFFICER)
    officer = await create_account("officer", PASSWORD, Role.PROVINCIAL_OFFICER, "40")
    assert (await client.get(f"{USERS}/{officer.id}", headers=central)).status_code == 200
    assert_problem(await client.post(USERS, json=new_user(), headers=central), 403)
    patch = await client.patch(f"{USERS}/{officer.id}", json={"is_active": False}, headers=central)
    assert_problem(patch, 403)
    reset = await client.post(f"{USERS}/{officer.id}/reset-password", headers=central)
    assert_problem(reset, 403)

    provincial = await login_as(Role.PROVINCIAL_OFFICER, "40")
    assert_problem(await client.get(f"{USERS}/{officer.id}", headers=provincial), 403)


async def test_admin_cannot_lock_themselves_out(
    client: httpx.AsyncClient, login_as: LoginAs
) -> None:
    admin = await login_as(Role.ADMIN)
    me = admin["X-Test-Account-Id"]
    assert_problem(
        await client.patch(f"{USERS}/{me}", json={"is_active": False}, headers=admin), 409
    )
    demote = await client.patch(f"{USERS}/{me}", json={"role": "auditor"}, headers=admin)
    assert_problem(demote, 409)
    assert_problem(await client.patch(f"{USERS}/{me}", json={"role": None}, headers=admin), 422)


async def test_password_reset_forces_a_change_before_anything_else(
    app: FastAPI, client: httpx.AsyncClient, login_as: LoginAs, create_account: CreateAccount
) -> None:
    admin = await login_as(Role.ADMIN)
    officer = await create_account("officer", PASSWORD, Role.CENTRAL_OFFICER)
    before = await sign_in(client, "officer")

    reset = await client.post(f"{USERS}/{officer.id}/reset-password", headers=admin)
    assert reset.status_code == 200
    assert reset.headers["cache-control"] == "no-store"
    temporary = reset.json()["temporary_password"]
    assert len(temporary) >= 12
    assert_unauthenticated(await refresh(client, before.json()["refresh_token"]))
    assert_unauthenticated(await sign_in(client, "officer"))  # the old password is gone

    signed_in = await sign_in(client, "officer", temporary)
    assert signed_in.status_code == 200
    headers = bearer(signed_in)
    me = await client.get("/api/v1/me", headers=headers)
    assert me.json()["must_change_password"] is True
    blocked = assert_problem(await client.get(USERS, headers=headers), 403)
    assert "/api/v1/me/password" in str(blocked["detail"])

    wrong = await client.post(
        "/api/v1/me/password",
        json={"current_password": "not the one!", "new_password": "my own new passphrase"},
        headers=headers,
    )
    assert_problem(wrong, 422)
    same = await client.post(
        "/api/v1/me/password",
        json={"current_password": temporary, "new_password": temporary},
        headers=headers,
    )
    assert_problem(same, 422)
    changed = await client.post(
        "/api/v1/me/password",
        json={"current_password": temporary, "new_password": "my own new passphrase"},
        headers=headers,
    )
    assert changed.status_code == 204
    # The token used for the change is revoked with every other: sign in again.
    assert_unauthenticated(await client.get(USERS, headers=headers))
    again = await sign_in(client, "officer", "my own new passphrase")
    assert again.status_code == 200
    assert (await client.get(USERS, headers=bearer(again))).status_code == 200

    actions = [a for a, entity, _ in await audit_actions(app) if entity == str(officer.id)]
    assert "user.password_reset" in actions
    assert actions.count("user.password_changed") == 1


async def test_me_password_rules(client: httpx.AsyncClient, create_account: CreateAccount) -> None:
    await create_account("somchai", PASSWORD, Role.AUDITOR)
    headers = bearer(await sign_in(client, "somchai"))
    for new in ("short", "x" * 1025):
        response = await client.post(
            "/api/v1/me/password",
            json={"current_password": PASSWORD, "new_password": new},
            headers=headers,
        )
        assert_problem(response, 422)


async def test_unknown_account_is_404(client: httpx.AsyncClient, login_as: LoginAs) -> None:
    admin = await login_as(Role.ADMIN)
    missing = "6f1c7d8e-0000-4000-8000-000000000000"
    assert_problem(await client.get(f"{USERS}/{missing}", headers=admin), 404)
    assert_problem(await client.patch(f"{USERS}/{missing}", json={}, headers=admin), 404)
    assert_problem(await client.post(f"{USERS}/{missing}/reset-password", headers=admin), 404)
    assert_problem(await client.get(f"{USERS}/not-a-uuid", headers=admin), 422)


async def test_guessing_the_current_password_locks_the_account(
    app: FastAPI, client: httpx.AsyncClient, create_account: CreateAccount
) -> None:
    await create_account("somchai", PASSWORD, Role.AUDITOR)
    headers = bearer(await sign_in(client, "somchai"))
    guess = {"current_password": "a wrong guess!", "new_password": "my own new passphrase"}
    for _ in range(4):
        assert_problem(await client.post("/api/v1/me/password", json=guess, headers=headers), 422)
    locked = await client.post("/api/v1/me/password", json=guess, headers=headers)
    assert_problem(locked, 429)
    assert locked.headers["retry-after"] == str(15 * 60)
    right = {"current_password": PASSWORD, "new_password": "my own new passphrase"}
    assert_problem(await client.post("/api/v1/me/password", json=right, headers=headers), 429)
    assert_problem(await sign_in(client, "somchai"), 429)

    actions = [a for a, _, _ in await audit_actions(app)]
    assert actions.count("user.password_change_failed") == 5
    assert actions.count("auth.locked") == 1
