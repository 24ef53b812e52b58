"""Every non-2xx response is problem+json, including the framework's own errors."""

from __future__ import annotations

import base64
import json
import logging
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text

from api.logging import JsonFormatter
from api.services import services_of
from domain.policy import Role
from tests.conftest import LoginAs, assert_problem


async def test_unknown_route_is_404_problem(client: httpx.AsyncClient) -> None:
    body = assert_problem(await client.get("/api/v1/nothing-here"), 404)
    assert body["instance"] == "/api/v1/nothing-here"


async def test_wrong_method_is_405_problem(client: httpx.AsyncClient) -> None:
    response = await client.delete("/api/v1/provinces")
    body = assert_problem(response, 405)
    assert "DELETE" in str(body["detail"])
    assert "GET" in response.headers["allow"]


async def test_oversize_body_is_413_problem(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/v1/provinces", content=b"x" * (64 * 1024 + 1))
    body = assert_problem(response, 413)
    assert "65536" in str(body["detail"])


async def test_oversize_streamed_body_without_length_is_413(fresh_app: FastAPI) -> None:
    app = fresh_app

    @app.post("/__echo", include_in_schema=False)
    async def echo(payload: dict[str, str]) -> dict[str, str]:
        return payload

    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(80):
            yield b"x" * 1024

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        response = await client.post("/__echo", content=chunks())
    assert_problem(response, 413)


async def test_unhandled_exception_is_500_problem_without_internals(
    fresh_app: FastAPI, caplog: pytest.LogCaptureFixture
) -> None:
    app = fresh_app

    @app.get("/__boom", include_in_schema=False)
    async def boom() -> None:
        raise RuntimeError("secret internal state 42")

    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        with caplog.at_level(logging.ERROR, logger="duangta.request"):
            response = await client.get("/__boom", headers={"X-Request-ID": "req-boom-0001"})
    body = assert_problem(response, 500)
    assert "secret" not in response.text
    assert "Traceback" not in response.text
    assert body["request_id"] == "req-boom-0001"
    logged = [r for r in caplog.records if r.getMessage() == "unhandled exception"]
    assert logged
    assert logged[0].request_id == "req-boom-0001"  # type: ignore[attr-defined]
    assert logged[0].exc_info is not None


async def test_malformed_json_is_422_problem(fresh_app: FastAPI) -> None:
    app = fresh_app

    @app.post("/__json", include_in_schema=False)
    async def take(payload: dict[str, str]) -> dict[str, str]:
        return payload

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        response = await client.post(
            "/__json", content=b"{not json", headers={"content-type": "application/json"}
        )
    body = assert_problem(response, 422)
    assert json.dumps(body["errors"])


async def test_values_the_database_refuses_are_422_not_500(
    client: httpx.AsyncClient, login_as: LoginAs, caplog: pytest.LogCaptureFixture
) -> None:
    admin = await login_as(Role.ADMIN)
    with caplog.at_level(logging.INFO):
        response = await client.post(
            "/api/v1/users",
            json={
                "username": "nul-in-name",
                "password": "a long enough password",
                "display_name": "a\u0000b",
                "role": "auditor",
            },
            headers=admin,
        )
    # Refused before it reaches the database (api/deps.py `refuse_nul_characters`).
    body = assert_problem(response, 422, "validation-error")
    assert body["errors"][0]["type"] == "nul_character"
    assert body["errors"][0]["loc"] == ["body", "display_name"]
    assert "$argon2" not in caplog.text  # no bound parameters in any log line


@pytest.mark.parametrize("moment", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00"])
async def test_out_of_range_cursor_dates_are_422(
    client: httpx.AsyncClient, login_as: LoginAs, moment: str
) -> None:
    admin = await login_as(Role.ADMIN)
    raw = json.dumps([moment, str(uuid.uuid4())]).encode()
    cursor = base64.urlsafe_b64encode(raw).decode().rstrip("=")
    response = await client.get("/api/v1/users", params={"cursor": cursor}, headers=admin)
    assert_problem(response, 422)


@pytest.mark.parametrize(
    ("statement", "status"),
    [
        ("SELECT CAST('นายสมชาย-secret' AS integer)", 422),  # data exception (22P02)
        ('SELECT * FROM "นายสมชาย-secret"', 500),  # a server fault (42P01)
    ],
)
async def test_database_errors_are_logged_without_values(
    fresh_app: FastAPI, caplog: pytest.LogCaptureFixture, statement: str, status: int
) -> None:
    app = fresh_app

    @app.get("/__db", include_in_schema=False)
    async def failing() -> None:
        async with services_of(app).database.require_engine().connect() as conn:
            await conn.execute(text(statement))

    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        with caplog.at_level(logging.INFO):
            response = await client.get("/__db")
    assert_problem(response, status)
    assert "secret" not in response.text
    formatted = "\n".join(JsonFormatter().format(record) for record in caplog.records)
    assert "secret" not in formatted  # PostgreSQL's message quotes the value: never logged
    assert '"sqlstate"' in formatted
