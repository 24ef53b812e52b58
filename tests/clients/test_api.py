"""API clients through HTTP: admins manage them, the token endpoint's answers (RFC 6749
section 5.2 semantics as problem+json), quotas, and what a client's token may reach."""

from __future__ import annotations

import base64
import uuid

import httpx
import jwt
from fastapi import FastAPI

from api.ratelimit import Budget
from api.services import services_of
from domain.policy import Role
from tests.clients.helpers import (
    CLIENTS,
    TOKEN_URL,
    basic,
    client_token,
    register,
    token_response,
)
from tests.conftest import LoginAs, assert_problem, set_rate


async def test_only_admins_manage_clients(client: httpx.AsyncClient, login_as: LoginAs) -> None:
    admin = await login_as(Role.ADMIN)
    for role in (Role.CENTRAL_OFFICER, Role.PARTNER, Role.AUDITOR):
        headers = await login_as(role)
        assert_problem(await client.get(CLIENTS, headers=headers), 403, "forbidden")
    assert_problem(await client.get(CLIENTS), 401)

    pacc_id, _ = await register(client, admin)
    nacc_id, _ = await register(client, admin, agency="nacc", scopes=("changes:read",))
    listed = (await client.get(CLIENTS, headers=admin)).json()["items"]
    by_id = {c["id"]: c for c in listed}
    assert set(by_id) == {nacc_id, pacc_id}
    assert by_id[nacc_id]["agency_code"] == "NACC"
    assert by_id[nacc_id]["scopes"] == ["changes:read"]
    only_pacc = await client.get(CLIENTS, headers=admin, params={"agency_code": "pacc"})
    assert [c["id"] for c in only_pacc.json()["items"]] == [pacc_id]
    await client.post(f"{CLIENTS}/{nacc_id}/revoke", headers=admin)
    active = await client.get(CLIENTS, headers=admin, params={"active": "true"})
    assert [c["id"] for c in active.json()["items"]] == [pacc_id]

    assert_problem(await client.get(f"{CLIENTS}/{uuid.uuid4()}", headers=admin), 404)
    assert_problem(await client.post(f"{CLIENTS}/{uuid.uuid4()}/revoke", headers=admin), 404)
    assert_problem(
        await client.post(f"{CLIENTS}/{nacc_id}/rotate-secret", headers=admin), 409, "conflict"
    )


async def test_registration_refuses_unknown_agencies_and_scopes(
    client: httpx.AsyncClient, login_as: LoginAs
) -> None:
    admin = await login_as(Role.ADMIN)

    async def create(body: dict[str, object]) -> httpx.Response:
        return await client.post(CLIENTS, json=body, headers=admin)

    good: dict[str, object] = {
        "name": "system",
        "agency_code": "PACC",
        "scopes": ["referrals:read"],
    }
    assert_problem(await create({**good, "agency_code": "NOSUCH"}), 422, "invalid-input")
    assert_problem(await create({**good, "agency_code": "not a code"}), 422, "invalid-input")
    assert_problem(await create({**good, "scopes": []}), 422, "validation-error")
    assert_problem(await create({**good, "scopes": ["admin"]}), 422, "validation-error")
    assert_problem(await create({**good, "secret": "mine"}), 422, "validation-error")
    assert_problem(
        await client.post(
            f"{CLIENTS}/{uuid.uuid4()}/rotate-secret",
            json={"old_secret_valid_until": "2026-12-01T00:00:00"},
            headers=admin,
        ),
        422,
        "validation-error",
    )
    created = await create(good)
    assert created.status_code == 201
    assert created.headers["location"] == f"{CLIENTS}/{created.json()['client']['id']}"
    assert created.headers["cache-control"] == "no-store"
    client_id = created.json()["client"]["id"]
    far = await client.post(
        f"{CLIENTS}/{client_id}/rotate-secret",
        json={"old_secret_valid_until": "2099-01-01T00:00:00Z"},
        headers=admin,
    )
    assert_problem(far, 422, "invalid-input")


async def test_the_token_endpoint_answers_client_errors_as_problems(
    client: httpx.AsyncClient, login_as: LoginAs
) -> None:
    admin = await login_as(Role.ADMIN)
    client_id, secret = await register(client, admin)

    # invalid_client: wrong secret, unknown id, nothing sent, a broken Basic header.
    for answer in (
        await token_response(client, client_id, secret + "x"),
        await token_response(client, str(uuid.uuid4()), secret),
        await token_response(client, "no-such-client", secret, in_body=True),
        await client.post(TOKEN_URL, data={"grant_type": "client_credentials"}),
        await client.post(
            TOKEN_URL,
            data={"grant_type": "client_credentials"},
            headers={"Authorization": "Basic not*base64"},
        ),
        await client.post(
            TOKEN_URL,
            data={"grant_type": "client_credentials"},
            headers={"Authorization": "Basic " + base64.b64encode(b"no colon").decode()},
        ),
    ):
        problem = assert_problem(answer, 401, "not-authenticated")
        assert answer.headers["www-authenticate"] == "Bearer"
        assert "client credentials" in problem["detail"]
    # invalid_request: the credentials twice.
    twice = await client.post(
        TOKEN_URL,
        data={"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret},
        headers=basic(client_id, secret),
    )
    assert_problem(twice, 422, "invalid-input")
    # invalid_scope: unknown, or not the client's.
    assert_problem(await token_response(client, client_id, secret, scope="root"), 422)
    assert_problem(await token_response(client, client_id, secret, scope="changes:read"), 422)
    # unsupported_grant_type
    other = await client.post(
        TOKEN_URL, data={"grant_type": "implicit"}, headers=basic(client_id, secret)
    )
    assert_problem(other, 422, "validation-error")
    # Basic credentials are form-urlencoded first (RFC 6749 section 2.3.1): decoded here.
    encoded = "".join(f"%{ord(c):02X}" for c in secret)
    answer = await client.post(
        TOKEN_URL, data={"grant_type": "client_credentials"}, headers=basic(client_id, encoded)
    )
    assert answer.status_code == 200, answer.text
    # The client id in any case.
    assert (await token_response(client, client_id.upper(), secret)).status_code == 200
    granted = await token_response(client, client_id, secret, scope="referrals:read")
    assert granted.json()["scope"] == "referrals:read"


async def test_failed_client_authentications_lock_the_client_id(
    client: httpx.AsyncClient, login_as: LoginAs
) -> None:
    admin = await login_as(Role.ADMIN)
    client_id, secret = await register(client, admin)
    for _ in range(4):
        assert_problem(await token_response(client, client_id, "dtc_guess"), 401)
    locked = await token_response(client, client_id, "dtc_guess")
    assert_problem(locked, 429, "too-many-requests")
    assert int(locked.headers["retry-after"]) == 15 * 60
    assert_problem(await token_response(client, client_id, secret), 429)


async def test_each_client_has_its_own_request_quota(
    app: FastAPI, client: httpx.AsyncClient, login_as: LoginAs
) -> None:
    admin = await login_as(Role.ADMIN)
    set_rate(app, Budget.CLIENT_REQUEST, "3/minute")
    first = await client_token(client, *await register(client, admin))
    second = await client_token(client, *await register(client, admin, name="other"))
    for _ in range(3):
        assert (await client.get("/api/v1/referrals", headers=first)).status_code == 200
    refused = await client.get("/api/v1/referrals", headers=first)
    assert_problem(refused, 429, "too-many-requests")
    assert 1 <= int(refused.headers["retry-after"]) <= 61
    # Another client, and people, are not affected.
    assert (await client.get("/api/v1/referrals", headers=second)).status_code == 200
    assert (await client.get("/api/v1/referrals", headers=admin)).status_code == 200


async def test_a_token_no_longer_matching_its_client_is_refused(
    app: FastAPI, client: httpx.AsyncClient, login_as: LoginAs
) -> None:
    """Tokens are signed, but a forged scope or agency (a leaked signing key, a token of
    a client whose scopes shrank) is refused by the per-request check."""
    admin = await login_as(Role.ADMIN)
    client_id, secret = await register(client, admin, scopes=("referrals:read",))
    headers = await client_token(client, client_id, secret)
    token = headers["Authorization"].removeprefix("Bearer ")
    config = services_of(app).token_config
    claims = jwt.decode(
        token, config.keys[config.current_kid], algorithms=["HS256"], audience=config.audience
    )
    for change in ({"scope": "referrals:read referrals:write"}, {"agency": "NACC"}):
        forged = jwt.encode(
            claims | change,
            config.keys[config.current_kid],
            algorithm="HS256",
            headers={"kid": config.current_kid},
        )
        answer = await client.get(
            "/api/v1/referrals", headers={"Authorization": f"Bearer {forged}"}
        )
        assert_problem(answer, 401, "not-authenticated")
    assert (await client.get("/api/v1/referrals", headers=headers)).status_code == 200


async def test_the_client_list_comes_a_page_at_a_time(
    client: httpx.AsyncClient, login_as: LoginAs
) -> None:
    admin = await login_as(Role.ADMIN)
    registered = {(await register(client, admin, name=f"PACC system {n}"))[0] for n in range(3)}
    first = await client.get(CLIENTS, params={"agency_code": "PACC", "limit": 2}, headers=admin)
    assert first.status_code == 200, first.text
    assert len(first.json()["items"]) == 2
    cursor = first.json()["next_cursor"]
    assert cursor
    rest = await client.get(
        CLIENTS, params={"agency_code": "PACC", "limit": 2, "cursor": cursor}, headers=admin
    )
    assert rest.json()["next_cursor"] is None
    seen = [c["id"] for c in first.json()["items"] + rest.json()["items"]]
    assert len(seen) == len(set(seen)) == 3
    assert set(seen) == registered
    refused = await client.get(CLIENTS, params={"limit": 0}, headers=admin)
    assert_problem(refused, 422)
