"""Helpers for tests that sign in through the real endpoints (sessions, accounts)."""

from __future__ import annotations

import httpx

from tests.conftest import assert_problem

PASSWORD = "correct horse battery staple"
TOKEN_URL = "/api/v1/auth/token"


async def sign_in(
    client: httpx.AsyncClient, username: str, password: str = PASSWORD
) -> httpx.Response:
    """POST the OAuth2 password form; returns the response (200 or a problem)."""
    return await client.post(
        TOKEN_URL, data={"grant_type": "password", "username": username, "password": password}
    )


async def refresh(client: httpx.AsyncClient, token: str) -> httpx.Response:
    return await client.post("/api/v1/auth/refresh", json={"refresh_token": token})


def bearer(response: httpx.Response) -> dict[str, str]:
    """Authorization headers with the access token of a successful sign-in or refresh."""
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def assert_unauthenticated(response: httpx.Response) -> dict[str, object]:
    """A 401 problem with `WWW-Authenticate: Bearer`; returns the problem document."""
    body = assert_problem(response, 401)
    assert response.headers["www-authenticate"] == "Bearer"
    return body
