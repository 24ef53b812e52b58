"""Sessions (OWASP ASVS 7.3-7.5): an idle timeout and an absolute lifetime; a user lists
and ends their own sessions, an admin an account's; ending a session refuses its access
tokens at once (the `sid` claim, checked with the account on every request)."""

from __future__ import annotations

from datetime import timedelta

import httpx
from fastapi import FastAPI

from domain.clock import FrozenClock
from domain.policy import Role
from tests.accounts.helpers import audit_actions
from tests.conftest import CreateAccount, LoginAs, assert_problem
from tests.sessions.helpers import PASSWORD, assert_unauthenticated, bearer, refresh, sign_in

ME_SESSIONS = "/api/v1/me/sessions"


def revocations(actions: list[tuple[str, str | None, dict[str, object]]]) -> list[object]:
    return [d.get("reason") for a, _, d in actions if a == "auth.token_family_revoked"]


async def test_a_user_lists_and_ends_their_own_sessions(
    app: FastAPI, client: httpx.AsyncClient, create_account: CreateAccount
) -> None:
    await create_account("somchai", PASSWORD, Role.CENTRAL_OFFICER)
    await create_account("malee", PASSWORD, Role.CENTRAL_OFFICER)
    laptop, phone = await sign_in(client, "somchai"), await sign_in(client, "somchai")
    other = bearer(await sign_in(client, "malee"))

    listed = await client.get(ME_SESSIONS, headers=bearer(laptop))
    assert listed.status_code == 200
    assert listed.headers["cache-control"] == "no-store"
    items = listed.json()["items"]
    assert len(items) == 2
    assert sum(item["current"] for item in items) == 1
    current = next(item for item in items if item["current"])
    phone_id = next(item["id"] for item in items if not item["current"])
    assert set(current) == {
        "id",
        "started_at",
        "last_used_at",
        "idle_expires_at",
        "expires_at",
        "current",
    }
    # Another account cannot see or end it: 404, as for an unknown id.
    assert_problem(await client.delete(f"{ME_SESSIONS}/{phone_id}", headers=other), 404)
    assert (await client.get("/api/v1/me", headers=bearer(phone))).status_code == 200

    ended = await client.delete(f"{ME_SESSIONS}/{phone_id}", headers=bearer(laptop))
    assert ended.status_code == 204
    assert_unauthenticated(await client.get("/api/v1/me", headers=bearer(phone)))
    assert_unauthenticated(await refresh(client, phone.json()["refresh_token"]))
    assert (await client.get("/api/v1/me", headers=bearer(laptop))).status_code == 200
    assert_problem(await client.delete(f"{ME_SESSIONS}/{phone_id}", headers=bearer(laptop)), 404)
    remaining = (await client.get(ME_SESSIONS, headers=bearer(laptop))).json()["items"]
    assert [item["id"] for item in remaining] == [current["id"]]

    # Ending the current session signs this device out too.
    mine = await client.delete(f"{ME_SESSIONS}/{current['id']}", headers=bearer(laptop))
    assert mine.status_code == 204
    assert_unauthenticated(await client.get("/api/v1/me", headers=bearer(laptop)))
    assert revocations(await audit_actions(app)) == ["ended", "ended"]


async def test_an_admin_lists_and_ends_an_accounts_sessions(
    app: FastAPI, client: httpx.AsyncClient, create_account: CreateAccount, login_as: LoginAs
) -> None:
    admin = await login_as(Role.ADMIN)
    account = await create_account("somchai", PASSWORD, Role.PROVINCIAL_OFFICER, "40")
    first, second = await sign_in(client, "somchai"), await sign_in(client, "somchai")
    url = f"/api/v1/users/{account.id}/sessions"

    listed = (await client.get(url, headers=admin)).json()["items"]
    assert len(listed) == 2
    assert not any(item["current"] for item in listed)
    first_id = next(
        item["id"]
        for item in (await client.get(ME_SESSIONS, headers=bearer(first))).json()["items"]
        if item["current"]
    )
    assert (await client.delete(f"{url}/{first_id}", headers=admin)).status_code == 204
    assert_unauthenticated(await client.get("/api/v1/me", headers=bearer(first)))
    assert (await client.get("/api/v1/me", headers=bearer(second))).status_code == 200

    # Every session at once: refresh tokens revoked, every access token refused.
    assert (await client.delete(url, headers=admin)).status_code == 204
    assert_unauthenticated(await client.get("/api/v1/me", headers=bearer(second)))
    assert_unauthenticated(await refresh(client, second.json()["refresh_token"]))
    assert (await client.get(url, headers=admin)).json()["items"] == []
    again = await sign_in(client, "somchai")
    assert (await client.get("/api/v1/me", headers=bearer(again))).status_code == 200

    unknown = "/api/v1/users/00000000-0000-4000-8000-000000000000/sessions"
    assert_problem(await client.get(unknown, headers=admin), 404)
    assert_problem(await client.delete(f"{url}/{first_id}", headers=admin), 404)
    officer = bearer(again)
    assert_problem(await client.get(url, headers=officer), 403)
    assert revocations(await audit_actions(app)) == ["ended_by_admin", "all_ended_by_admin"]


async def test_an_idle_session_ends(
    app: FastAPI, client: httpx.AsyncClient, clock: FrozenClock, create_account: CreateAccount
) -> None:
    """SESSION_IDLE_MINUTES (30) without a refresh: the refresh is a 401, the family is
    revoked, and the session's access tokens are refused from then on."""
    await create_account("somchai", PASSWORD, Role.CENTRAL_OFFICER)
    signed_in = await sign_in(client, "somchai")
    clock.advance(timedelta(minutes=29))
    refreshed = await refresh(client, signed_in.json()["refresh_token"])
    assert refreshed.status_code == 200  # used within the idle time: the session goes on

    clock.advance(timedelta(minutes=30, seconds=1))
    assert_unauthenticated(await refresh(client, refreshed.json()["refresh_token"]))
    assert_unauthenticated(await client.get("/api/v1/me", headers=bearer(refreshed)))
    assert revocations(await audit_actions(app)) == ["idle"]


async def test_a_session_ends_at_its_absolute_lifetime_however_active(
    app: FastAPI, client: httpx.AsyncClient, clock: FrozenClock, create_account: CreateAccount
) -> None:
    """SESSION_MAX_HOURS (12) after the sign-in, refreshing every 20 minutes."""
    await create_account("somchai", PASSWORD, Role.CENTRAL_OFFICER)
    current = await sign_in(client, "somchai")
    for _ in range(35):  # 11h40m
        clock.advance(timedelta(minutes=20))
        current = await refresh(client, current.json()["refresh_token"])
        assert current.status_code == 200
    listed = (await client.get(ME_SESSIONS, headers=bearer(current))).json()["items"]
    # The last refresh token lives 20 minutes more, to the session's end, not 30.
    assert listed[0]["idle_expires_at"] == listed[0]["expires_at"]
    clock.advance(timedelta(minutes=20))
    assert_unauthenticated(await refresh(client, current.json()["refresh_token"]))
    assert revocations(await audit_actions(app)) == ["expired"]


async def test_logout_refuses_the_sessions_access_tokens_too(
    client: httpx.AsyncClient, create_account: CreateAccount
) -> None:
    await create_account("somchai", PASSWORD, Role.CENTRAL_OFFICER)
    leaving, staying = await sign_in(client, "somchai"), await sign_in(client, "somchai")
    response = await client.post(
        "/api/v1/auth/logout", json={"refresh_token": leaving.json()["refresh_token"]}
    )
    assert response.status_code == 204
    assert_unauthenticated(await client.get("/api/v1/me", headers=bearer(leaving)))
    assert (await client.get("/api/v1/me", headers=bearer(staying))).status_code == 200
