"""Helpers of the API clients' tests: register a client, get a token with it."""

from __future__ import annotations

import base64
from typing import Any

import httpx

from tests.audit_checks import remember_secret

CLIENTS = "/api/v1/clients"
TOKEN_URL = "/api/v1/auth/token"


async def register(
    client: httpx.AsyncClient,
    admin: dict[str, str],
    *,
    agency: str = "PACC",
    scopes: tuple[str, ...] = ("referrals:read", "referrals:write"),
    name: str = "PACC case system",
) -> tuple[str, str]:
    """(client id, secret) of a newly registered client."""
    answer = await client.post(
        CLIENTS, json={"name": name, "agency_code": agency, "scopes": list(scopes)}, headers=admin
    )
    assert answer.status_code == 201, answer.text
    body = answer.json()
    remember_secret(body["client_secret"])
    return body["client"]["id"], body["client_secret"]


def basic(client_id: str, secret: str) -> dict[str, str]:
    raw = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    return {"Authorization": f"Basic {raw}"}


async def token_response(
    client: httpx.AsyncClient,
    client_id: str,
    secret: str,
    *,
    scope: str | None = None,
    in_body: bool = False,
) -> httpx.Response:
    form: dict[str, Any] = {"grant_type": "client_credentials"}
    if scope is not None:
        form["scope"] = scope
    if in_body:
        form |= {"client_id": client_id, "client_secret": secret}
        return await client.post(TOKEN_URL, data=form)
    return await client.post(TOKEN_URL, data=form, headers=basic(client_id, secret))


async def client_token(
    client: httpx.AsyncClient, client_id: str, secret: str, *, scope: str | None = None
) -> dict[str, str]:
    """Authorization headers with a fresh token of the client."""
    answer = await token_response(client, client_id, secret, scope=scope)
    assert answer.status_code == 200, answer.text
    token = answer.json()["access_token"]
    remember_secret(token)
    return {"Authorization": f"Bearer {token}"}
