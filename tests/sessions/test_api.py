"""Signing in, lockout, refresh-token rotation and the checks on every access token."""

from __future__ import annotations

import base64
import hashlib
import json
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import jwt
import pytest
from fastapi import FastAPI
from pydantic import SecretStr
from sqlmodel import col, select

from api.app import create_app
from api.services import services_of
from api.settings import Settings
from auth.passwords import Argon2PasswordHasher
from domain.accounts.model import Account
from domain.clock import FrozenClock
from domain.policy import Role
from persistence.accounts.tables import AccountRow
from persistence.audit.tables import AuditRow
from persistence.sessions.tables import LoginThrottleRow, RefreshTokenRow
from tests.conftest import CreateAccount, LoginAs, assert_problem
from tests.sessions.helpers import (
    PASSWORD,
    TOKEN_URL,
    assert_unauthenticated,
    bearer,
    refresh,
    sign_in,
)


async def audit_rows(app: FastAPI) -> list[AuditRow]:
    async with services_of(app).database.sessions()() as session:
        return list((await session.exec(select(AuditRow).order_by(col(AuditRow.seq)))).all())


async def test_sign_in_and_read_my_account(
    app: FastAPI, client: httpx.AsyncClient, create_account: CreateAccount
) -> None:
    account = await create_account("Somchai.K", PASSWORD, Role.PROVINCIAL_OFFICER, "40")

    # What /docs' Authorize dialog sends; usernames are case-insensitive.
    response = await client.post(
        TOKEN_URL,
        data={
            "grant_type": "password",
            "username": "SOMCHAI.k",
            "password": PASSWORD,
            "scope": "",
            "client_id": "",
            "client_secret": "",
        },
    )
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 15 * 60
    assert set(body) == {"access_token", "token_type", "expires_in", "refresh_token"}

    me = await client.get("/api/v1/me", headers=bearer(response))
    assert me.status_code == 200
    assert me.json()["id"] == str(account.id)
    assert me.json()["username"] == "somchai.k"
    assert me.json()["province_code"] == "40"
    assert me.json()["last_login_at"] is not None
    assert "password_hash" not in me.json()
    assert "argon2" not in me.text

    claims = jwt.decode(body["access_token"], options={"verify_signature": False})
    assert claims["sub"] == str(account.id)
    assert claims["role"] == "provincial_officer"
    assert claims["prov"] == "40"
    assert {"iat", "exp", "jti", "iss", "aud"} <= set(claims)

    rows = await audit_rows(app)
    succeeded = [r for r in rows if r.action == "auth.login_succeeded"]
    assert len(succeeded) == 1
    assert succeeded[0].actor_id == str(account.id)
    assert succeeded[0].actor_role == "provincial_officer"


async def test_wrong_username_and_wrong_password_look_the_same(
    app: FastAPI, client: httpx.AsyncClient, create_account: CreateAccount
) -> None:
    account = await create_account("somchai", PASSWORD)

    wrong_password = assert_unauthenticated(await sign_in(client, "somchai", "x" * 14))
    unknown_user = assert_unauthenticated(await sign_in(client, "nobody.here", PASSWORD))
    assert wrong_password["detail"] == unknown_user["detail"]
    assert wrong_password["type"] == unknown_user["type"]

    failed = [r for r in await audit_rows(app) if r.action == "auth.login_failed"]
    assert [(r.actor_id, r.details["reason"]) for r in failed] == [
        (str(account.id), "wrong_password"),
        ("anonymous", "unknown_username"),
    ]
    stored = json.dumps([r.model_dump(mode="json") for r in failed])
    assert "nobody.here" not in stored
    assert PASSWORD not in stored
    assert "x" * 14 not in stored


async def test_inactive_account_cannot_sign_in(
    app: FastAPI, client: httpx.AsyncClient, create_account: CreateAccount
) -> None:
    account = await create_account("somchai", PASSWORD)
    async with services_of(app).database.sessions()() as session:
        row = await session.get(AccountRow, account.id)
        assert row is not None
        row.is_active = False
        await session.commit()
    body = assert_unauthenticated(await sign_in(client, "somchai"))
    assert body["detail"] == "The username or password is wrong."


async def test_five_failures_lock_the_account_until_the_window_passes(
    app: FastAPI, client: httpx.AsyncClient, clock: FrozenClock, create_account: CreateAccount
) -> None:
    await create_account("somchai", PASSWORD)

    for _ in range(4):
        assert_unauthenticated(await sign_in(client, "somchai", "wrong password!"))
    locked = await sign_in(client, "somchai", "wrong password!")
    assert_problem(locked, 429)
    assert locked.headers["retry-after"] == str(15 * 60)

    # Even the right password is refused while locked; Retry-After counts down.
    clock.advance(timedelta(minutes=10))
    still_locked = await sign_in(client, "somchai")
    assert_problem(still_locked, 429)
    assert still_locked.headers["retry-after"] == str(5 * 60)

    clock.advance(timedelta(minutes=5))
    assert (await sign_in(client, "somchai")).status_code == 200

    actions = [r.action for r in await audit_rows(app)]
    assert actions.count("auth.locked") == 1
    assert actions.count("auth.login_failed") == 6  # 5 wrong passwords + 1 while locked
    assert actions[-1] == "auth.login_succeeded"


async def test_unknown_usernames_lock_like_real_ones(
    app: FastAPI, client: httpx.AsyncClient, clock: FrozenClock, create_account: CreateAccount
) -> None:
    """Lockouts must not reveal which usernames exist: an unknown (or inactive) username
    answers the same sequence of statuses and Retry-After values as a real account."""
    await create_account("somchai", PASSWORD)

    async def attempts(username: str) -> list[tuple[int, str | None]]:
        seen = []
        for _ in range(6):
            response = await sign_in(client, username, "wrong password!")
            seen.append((response.status_code, response.headers.get("retry-after")))
        return seen

    real, unknown = await attempts("somchai"), await attempts("nobody-by-this-name")
    assert real == unknown == [(401, None)] * 4 + [(429, str(15 * 60))] * 2

    clock.advance(timedelta(minutes=15))
    assert_unauthenticated(await sign_in(client, "nobody-by-this-name", "wrong password!"))

    async with services_of(app).database.sessions()() as session:
        dumped = repr((await session.exec(select(LoginThrottleRow))).all())
    assert "nobody-by-this-name" not in dumped  # only a keyed hash of the name is stored


async def test_a_success_resets_the_failure_count(
    client: httpx.AsyncClient, create_account: CreateAccount
) -> None:
    await create_account("somchai", PASSWORD)
    for _ in range(4):
        assert_unauthenticated(await sign_in(client, "somchai", "wrong password!"))
    assert (await sign_in(client, "somchai")).status_code == 200
    for _ in range(4):
        assert_unauthenticated(await sign_in(client, "somchai", "wrong password!"))
    assert (await sign_in(client, "somchai")).status_code == 200


async def test_only_the_password_and_client_credentials_grants_are_accepted(
    client: httpx.AsyncClient, create_account: CreateAccount
) -> None:
    await create_account("somchai", PASSWORD)
    form = {"username": "somchai", "password": PASSWORD}
    other = await client.post(TOKEN_URL, data={**form, "grant_type": "authorization_code"})
    assert_problem(other, 422, "validation-error")
    # Username and password make no client credentials (tests/clients has those).
    clients = await client.post(TOKEN_URL, data={**form, "grant_type": "client_credentials"})
    assert_problem(clients, 401, "not-authenticated")
    # The password grant without its fields: the same 422 as a schema would give.
    missing = await client.post(TOKEN_URL, data={"username": "somchai"})
    problem = assert_problem(missing, 422, "validation-error")
    assert problem["errors"] == [
        {"loc": ["body", "password"], "msg": "Field required", "type": "missing"}
    ]
    # Left out or empty (as some OAuth2 clients send it), it means the password grant.
    assert (await client.post(TOKEN_URL, data=form)).status_code == 200
    assert (await client.post(TOKEN_URL, data={**form, "grant_type": ""})).status_code == 200


async def test_the_auth_operations_document_their_own_credentials(app: FastAPI) -> None:
    """The token form has a plain name and the two grants; the 401s speak of the
    password, the client credentials or the refresh token, never of an access token these
    routes ignore."""
    document = app.openapi()
    form = document["components"]["schemas"]["TokenRequest"]
    assert form["properties"]["grant_type"]["enum"] == ["password", "client_credentials"]
    assert form["properties"]["grant_type"]["default"] == "password"
    assert "required" not in form
    assert "Body_auth_token" not in document["components"]["schemas"]
    operations = {
        name: document["paths"][f"/api/v1/auth/{name}"]["post"]
        for name in ("token", "refresh", "logout")
    }
    body = operations["token"]["requestBody"]["content"]["application/x-www-form-urlencoded"]
    assert body["schema"] == {"$ref": "#/components/schemas/TokenRequest"}
    assert "password" in operations["token"]["responses"]["401"]["description"]
    assert "refresh token" in operations["refresh"]["responses"]["401"]["description"]
    assert "401" not in operations["logout"]["responses"]
    for operation in operations.values():
        for status, response in operation["responses"].items():
            assert "access token" not in response["description"], status


async def test_oversized_password_is_422_not_truncated(
    client: httpx.AsyncClient, create_account: CreateAccount
) -> None:
    await create_account("somchai", PASSWORD)
    response = await sign_in(client, "somchai", PASSWORD + "x" * 1024)
    assert_problem(response, 422)


async def test_refresh_rotates_and_a_reused_token_revokes_the_family(
    app: FastAPI, client: httpx.AsyncClient, create_account: CreateAccount
) -> None:
    account = await create_account("somchai", PASSWORD)
    first = (await sign_in(client, "somchai")).json()
    other_device = (await sign_in(client, "somchai")).json()

    second = await refresh(client, first["refresh_token"])
    assert second.status_code == 200
    assert second.headers["cache-control"] == "no-store"
    assert second.json()["refresh_token"] != first["refresh_token"]
    assert (await client.get("/api/v1/me", headers=bearer(second))).status_code == 200
    third = await refresh(client, second.json()["refresh_token"])
    assert third.status_code == 200

    # The first token is presented again: someone holds a copy. The family dies.
    reused = await refresh(client, first["refresh_token"])
    assert_unauthenticated(reused)
    assert_unauthenticated(await refresh(client, third.json()["refresh_token"]))
    # Another sign-in (another family) is unaffected.
    assert (await refresh(client, other_device["refresh_token"])).status_code == 200

    revoked = [r for r in await audit_rows(app) if r.action == "auth.token_family_revoked"]
    assert len(revoked) == 1
    assert revoked[0].actor_id == str(account.id)
    assert revoked[0].details["reason"] == "reuse"
    assert revoked[0].details["revoked"] == 3


async def test_refresh_tokens_are_stored_hashed_and_expire(
    app: FastAPI, client: httpx.AsyncClient, clock: FrozenClock, create_account: CreateAccount
) -> None:
    await create_account("somchai", PASSWORD)
    value = (await sign_in(client, "somchai")).json()["refresh_token"]
    async with services_of(app).database.sessions()() as session:
        rows = (await session.exec(select(RefreshTokenRow))).all()
    assert len(rows) == 1
    assert rows[0].token_hash == hashlib.sha256(value.encode()).hexdigest()
    assert value not in json.dumps(rows[0].model_dump(mode="json"))
    # The session's idle timeout (SESSION_IDLE_MINUTES) is shorter than REFRESH_TOKEN_DAYS.
    assert rows[0].expires_at - rows[0].issued_at == timedelta(minutes=30)

    clock.advance(timedelta(minutes=30, seconds=1))
    assert_unauthenticated(await refresh(client, value))


async def test_logout_revokes_the_family(
    app: FastAPI, client: httpx.AsyncClient, create_account: CreateAccount
) -> None:
    await create_account("somchai", PASSWORD)
    first = (await sign_in(client, "somchai")).json()
    second = (await refresh(client, first["refresh_token"])).json()

    response = await client.post(
        "/api/v1/auth/logout", json={"refresh_token": second["refresh_token"]}
    )
    assert response.status_code == 204
    assert_unauthenticated(await refresh(client, second["refresh_token"]))
    # Unknown or already revoked tokens: still 204, nothing to reveal.
    again = await client.post("/api/v1/auth/logout", json={"refresh_token": "nope"})
    assert again.status_code == 204
    revoked = [r for r in await audit_rows(app) if r.action == "auth.token_family_revoked"]
    assert [r.details["reason"] for r in revoked] == ["logout"]


async def test_a_stale_access_token_does_not_block_refresh_or_sign_in(
    client: httpx.AsyncClient, settings: Settings, create_account: CreateAccount
) -> None:
    account = await create_account("somchai", PASSWORD)
    expired = BAD_TOKENS["expired"](
        claims_for(account, settings), settings.jwt_secret.get_secret_value()
    )
    stale = {"Authorization": f"Bearer {expired}"}
    assert_unauthenticated(await client.get("/api/v1/me", headers=stale))
    tokens = await client.post(
        TOKEN_URL, data={"username": "somchai", "password": PASSWORD}, headers=stale
    )
    assert tokens.status_code == 200
    refreshed = await client.post(
        "/api/v1/auth/refresh",
        json={"refresh_token": tokens.json()["refresh_token"]},
        headers=stale,
    )
    assert refreshed.status_code == 200


async def test_refresh_token_goes_in_the_body_only(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/v1/auth/refresh?refresh_token=abc")
    assert_problem(response, 422)


async def test_login_rehashes_when_the_parameters_change(
    app: FastAPI, client: httpx.AsyncClient, create_account: CreateAccount
) -> None:
    account = await create_account("somchai", PASSWORD)
    old_hash = await Argon2PasswordHasher(time_cost=2, memory_cost=2048).hash(PASSWORD)
    async with services_of(app).database.sessions()() as session:
        row = await session.get(AccountRow, account.id)
        assert row is not None
        row.password_hash = old_hash
        await session.commit()

    assert (await sign_in(client, "somchai")).status_code == 200
    async with services_of(app).database.sessions()() as session:
        row = await session.get(AccountRow, account.id)
        assert row is not None
        assert row.password_hash is not None
    assert row.password_hash != old_hash
    assert "m=1024,t=1" in row.password_hash  # the app's (test) parameters


# --- every access token is checked ------------------------------------------------------


def claims_for(account: Account, settings: Settings, **override: Any) -> dict[str, Any]:
    now = datetime.now(UTC)
    claims: dict[str, Any] = {
        "sub": str(account.id),
        "role": str(account.role),
        "prov": account.province_code,
        "agency": None,
        "tv": account.token_version,
        "iat": now,
        "nbf": now,
        "exp": now + timedelta(minutes=15),
        "jti": uuid.uuid4().hex,
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
    }
    claims.update(override)
    return claims


def signed(claims: dict[str, Any], key: str, kid: str = "k1", alg: str = "HS256") -> str:
    return jwt.encode(claims, key, algorithm=alg, headers={"kid": kid})


def alg_none(claims: dict[str, Any]) -> str:
    """An unsigned token (`alg: none`), built by hand."""

    def part(document: dict[str, Any]) -> str:
        raw = json.dumps(document, default=lambda at: int(at.timestamp())).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    return f"{part({'alg': 'none', 'typ': 'JWT', 'kid': 'k1'})}.{part(claims)}."


BAD_TOKENS: dict[str, Callable[[dict[str, Any], str], str]] = {
    "expired": lambda c, k: signed({**c, "exp": datetime.now(UTC) - timedelta(seconds=5)}, k),
    "not yet valid (nbf)": lambda c, k: signed(
        {**c, "nbf": datetime.now(UTC) + timedelta(minutes=5)}, k
    ),
    "issued in the future (iat)": lambda c, k: signed(
        {**c, "iat": datetime.now(UTC) + timedelta(minutes=5)}, k
    ),
    "forged signature": lambda c, k: signed(c, "another-secret-of-at-least-32-bytes!!"),
    "alg none": lambda c, k: alg_none(c),
    "wrong audience": lambda c, k: signed({**c, "aud": "someone-else"}, k),
    "wrong issuer": lambda c, k: signed({**c, "iss": "someone-else"}, k),
    "unknown kid": lambda c, k: signed(c, k, kid="k9"),
    "missing jti": lambda c, k: signed({n: v for n, v in c.items() if n != "jti"}, k),
    "missing token version": lambda c, k: signed({n: v for n, v in c.items() if n != "tv"}, k),
    "older token version": lambda c, k: signed({**c, "tv": c["tv"] - 1}, k),
    "token version not an integer": lambda c, k: signed({**c, "tv": str(c["tv"])}, k),
    "not a jwt": lambda c, k: "not-a-token",
}


@pytest.mark.parametrize("kind", list(BAD_TOKENS))
async def test_bad_access_tokens_are_401(
    client: httpx.AsyncClient,
    settings: Settings,
    create_account: CreateAccount,
    kind: str,
) -> None:
    account = await create_account("somchai", PASSWORD)
    claims = claims_for(account, settings)
    good = signed(claims, settings.jwt_secret.get_secret_value())
    ok = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {good}"})
    assert ok.status_code == 200

    token = BAD_TOKENS[kind](claims, settings.jwt_secret.get_secret_value())
    response = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert_unauthenticated(response)


async def test_tokens_of_deactivated_or_changed_accounts_are_refused_at_once(
    client: httpx.AsyncClient, login_as: LoginAs, create_account: CreateAccount
) -> None:
    admin = await login_as(Role.ADMIN)
    await create_account("officer", PASSWORD, Role.PROVINCIAL_OFFICER, "40")
    await create_account("auditor", PASSWORD, Role.AUDITOR)
    officer_tokens = (await sign_in(client, "officer")).json()
    auditor_tokens = (await sign_in(client, "auditor")).json()
    officer = {"Authorization": f"Bearer {officer_tokens['access_token']}"}
    auditor = {"Authorization": f"Bearer {auditor_tokens['access_token']}"}
    officer_id = (await client.get("/api/v1/me", headers=officer)).json()["id"]
    auditor_id = (await client.get("/api/v1/me", headers=auditor)).json()["id"]

    moved = await client.patch(
        f"/api/v1/users/{officer_id}", json={"province_code": "10"}, headers=admin
    )
    assert moved.status_code == 200
    assert_unauthenticated(await client.get("/api/v1/me", headers=officer))
    assert_unauthenticated(await refresh(client, officer_tokens["refresh_token"]))

    gone = await client.patch(
        f"/api/v1/users/{auditor_id}", json={"is_active": False}, headers=admin
    )
    assert gone.status_code == 200
    assert gone.json()["is_active"] is False
    assert_unauthenticated(await client.get("/api/v1/me", headers=auditor))
    assert_unauthenticated(await refresh(client, auditor_tokens["refresh_token"]))
    assert_unauthenticated(await sign_in(client, "auditor"))


@pytest.fixture
async def rotated_app(
    settings: Settings, clock: FrozenClock, password_hasher: Argon2PasswordHasher, app: FastAPI
) -> AsyncIterator[FastAPI]:
    """The app after a key rotation: k2 signs, the old k1 still verifies."""
    rotated = settings.model_copy(
        update={
            "jwt_secret": SecretStr("a-brand-new-secret-of-more-than-32-bytes"),
            "jwt_kid": "k2",
            "jwt_previous_secret": settings.jwt_secret,
            "jwt_previous_kid": "k1",
        }
    )
    application = create_app(rotated, clock=clock, password_hasher=password_hasher)
    async with application.router.lifespan_context(application):
        yield application


async def test_tokens_signed_with_the_previous_key_still_verify(
    rotated_app: FastAPI, settings: Settings, create_account: CreateAccount
) -> None:
    account = await create_account("somchai", PASSWORD)
    old = signed(claims_for(account, settings), settings.jwt_secret.get_secret_value(), kid="k1")
    transport = httpx.ASGITransport(app=rotated_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        response = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {old}"})
        assert response.status_code == 200
        fresh = await sign_in(client, "somchai")
        assert jwt.get_unverified_header(fresh.json()["access_token"])["kid"] == "k2"
        assert (await client.get("/api/v1/me", headers=bearer(fresh))).status_code == 200
