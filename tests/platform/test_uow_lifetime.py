"""The request's unit of work ends before its response is sent.

With FastAPI's default scope a `yield` dependency is torn down after the response has
been written to the client: the session, its pooled connection and any read transaction
stayed checked out meanwhile, and under load the other requests queued for the pool
behind them (issue 10: 503s after the pool timeout on filtered audit-log pages). `Uow` is
declared `scope="function"`; these tests watch the pool when the response starts.
"""

from __future__ import annotations

import httpx
from fastapi import FastAPI
from starlette.types import Message, Receive, Scope, Send

from api.services import services_of
from domain.policy import Role
from tests.conftest import LoginAs


def _watching(app: FastAPI, seen: list[int]) -> object:
    """The app, noting how many pooled connections are checked out when each response
    starts."""
    engine = services_of(app).database.require_engine()

    async def wrapped(scope: Scope, receive: Receive, send: Send) -> None:
        async def watch(message: Message) -> None:
            if message["type"] == "http.response.start":
                seen.append(engine.pool.checkedout())  # type: ignore[attr-defined]
            await send(message)

        await app(scope, receive, watch)

    return wrapped


async def _get(app: FastAPI, path: str, headers: dict[str, str]) -> tuple[int, list[int]]:
    seen: list[int] = []
    transport = httpx.ASGITransport(app=_watching(app, seen))  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        response = await c.get(path, headers=headers)
    return response.status_code, seen


async def test_a_read_in_a_transaction_is_over_when_the_response_starts(
    app: FastAPI, login_as: LoginAs
) -> None:
    headers = await login_as(Role.AUDITOR)
    # A filtered page reads in a transaction of the unit of work (custom plans).
    status, seen = await _get(app, "/api/v1/audit-log?limit=5&action=auth.login", headers)
    assert status == 200
    assert seen == [0]


async def test_reads_and_errors_give_the_connection_back_first(
    app: FastAPI, login_as: LoginAs
) -> None:
    headers = await login_as(Role.CENTRAL_OFFICER)
    for path, expected in (
        ("/api/v1/tips?limit=5", 200),
        ("/api/v1/volunteers?q=สมชาย", 200),
        ("/api/v1/tips/00000000-0000-4000-8000-000000000000", 404),
    ):
        status, seen = await _get(app, path, headers)
        assert (path, status) == (path, expected)
        assert seen == [0], path
