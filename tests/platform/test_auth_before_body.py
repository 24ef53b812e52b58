"""Authentication comes before the body: an anonymous caller learns nothing about a
protected operation's body (api/deps.py `authenticate_before_body`)."""

from __future__ import annotations

import httpx
import pytest

from domain.policy import Role
from tests.conftest import LoginAs, assert_problem

NOT_JSON = b'{"title": '
NOT_UTF8 = b'{"title": "\xff\xfe"}'
JSON = {"Content-Type": "application/json"}


@pytest.mark.parametrize("body", [NOT_JSON, NOT_UTF8], ids=["not-json", "not-utf8"])
async def test_anonymous_malformed_body_to_a_protected_route_is_401(
    client: httpx.AsyncClient, body: bytes
) -> None:
    response = await client.post("/api/v1/investigations", content=body, headers=JSON)
    assert_problem(response, 401, "not-authenticated")
    assert response.headers["www-authenticate"] == "Bearer"


async def test_a_bad_token_with_a_malformed_body_is_401(client: httpx.AsyncClient) -> None:
    headers = {**JSON, "Authorization": "Bearer not-a-token"}
    response = await client.post("/api/v1/investigations", content=NOT_JSON, headers=headers)
    assert_problem(response, 401, "not-authenticated")


async def test_a_role_without_the_right_hears_403_before_its_body(
    client: httpx.AsyncClient, login_as: LoginAs
) -> None:
    auditor = await login_as(Role.AUDITOR)
    response = await client.post(
        "/api/v1/investigations", content=NOT_UTF8, headers={**JSON, **auditor}
    )
    assert_problem(response, 403, "forbidden")


async def test_an_allowed_caller_hears_about_the_body(
    client: httpx.AsyncClient, login_as: LoginAs
) -> None:
    admin = await login_as(Role.ADMIN)
    headers = {**JSON, **admin}
    not_json = await client.post("/api/v1/investigations", content=NOT_JSON, headers=headers)
    body = assert_problem(not_json, 422, "validation-error")
    assert body["errors"][0]["type"] == "json_invalid"
    not_utf8 = await client.post("/api/v1/investigations", content=NOT_UTF8, headers=headers)
    assert_problem(not_utf8, 400, "bad-request")


async def test_public_operations_still_answer_the_body_problem(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/v1/tips", content=NOT_JSON, headers=JSON)
    assert_problem(response, 422, "validation-error")
    response = await client.post("/api/v1/tips", content=NOT_UTF8, headers=JSON)
    assert_problem(response, 400, "bad-request")
