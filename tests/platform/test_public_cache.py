"""The shared cache of public responses (api/public_cache.py): what it keeps, what it
serves, and that a hit still passes through everything outside it."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

import domain.provinces.use_cases as province_use_cases
from api.logging import JsonFormatter
from api.public_cache import PublicResponseCache
from domain.policy import Role
from tests.conftest import LoginAs


@pytest.fixture
async def client(fresh_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """A client of an app of the test's own: the shared app's cache holds other tests'
    answers."""
    transport = httpx.ASGITransport(app=fresh_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


def _spy(monkeypatch: pytest.MonkeyPatch, name: str) -> list[object]:
    """The arguments each call of the provinces use case `name` got, from its route (the
    use case still runs)."""
    calls: list[object] = []
    original = getattr(province_use_cases, name)

    async def spy(uow: object, **arguments: object) -> object:
        calls.append(next(iter(arguments.values())))
        return await original(uow, **arguments)

    monkeypatch.setattr(f"api.provinces.routes.{name}", spy)
    return calls


@pytest.fixture
def route_calls(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Codes the province route looked up."""
    return _spy(monkeypatch, "get_province")


def _without_request_id(response: httpx.Response) -> dict[str, str]:
    return {k: v for k, v in response.headers.items() if k != "x-request-id"}


async def test_a_public_answer_is_served_again_without_the_route(
    client: httpx.AsyncClient, route_calls: list[object], caplog: pytest.LogCaptureFixture
) -> None:
    first = await client.get("/api/v1/provinces/TH-41")
    with caplog.at_level(logging.INFO, logger="duangta.request"):
        again = await client.get("/api/v1/provinces/TH-41")
    assert route_calls == ["TH-41"]
    assert again.status_code == first.status_code == 200
    assert again.content == first.content
    assert _without_request_id(again) == _without_request_id(first)
    assert again.headers["x-request-id"] != first.headers["x-request-id"]
    assert again.headers["x-content-type-options"] == "nosniff"
    assert again.headers["cache-control"] == "public, max-age=3600"
    # The log line (and the metrics, by the same scope) still name the route's template.
    line = json.loads(JsonFormatter().format(caplog.records[-1]))
    assert line["route"] == "/api/v1/provinces/{code}"
    assert line["status"] == 200
    assert line["request_id"] == again.headers["x-request-id"]


async def test_a_hit_is_still_compressed_for_clients_that_ask(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    lists = _spy(monkeypatch, "list_provinces")  # the region asked for, per call
    plain = await client.get("/api/v1/provinces", headers={"Accept-Encoding": "identity"})
    zipped = await client.get("/api/v1/provinces", headers={"Accept-Encoding": "gzip"})
    assert lists == [None]  # the second answer came from the cache
    assert "content-encoding" not in plain.headers
    assert zipped.headers["content-encoding"] == "gzip"
    assert int(zipped.headers["content-length"]) < len(plain.content) / 3
    assert zipped.content == plain.content  # as decoded by the client


async def test_callers_with_a_token_or_an_etag_or_a_query_reach_the_route(
    client: httpx.AsyncClient, route_calls: list[object], login_as: LoginAs
) -> None:
    first = await client.get("/api/v1/provinces/43")
    forged = await client.get("/api/v1/provinces/43", headers={"Authorization": "Bearer x.y.z"})
    assert forged.status_code == 401
    assert forged.headers["content-type"] == "application/problem+json"
    signed_in = await client.get("/api/v1/provinces/43", headers=await login_as(Role.AUDITOR))
    assert signed_in.status_code == 200
    revalidated = await client.get(
        "/api/v1/provinces/43", headers={"If-None-Match": first.headers["etag"]}
    )
    assert revalidated.status_code == 304
    queried = await client.get("/api/v1/provinces/43?unused=1")
    assert queried.status_code == 200
    assert route_calls == ["43"] * 4  # not the forged token's: refused before the route


async def test_errors_and_private_answers_are_not_kept(
    client: httpx.AsyncClient, route_calls: list[object]
) -> None:
    for _ in range(2):
        assert (await client.get("/api/v1/provinces/99")).status_code == 404
    assert route_calls == ["99", "99"]
    for _ in range(2):  # no-store, and a query string (the public statistics' fiscal year)
        assert (await client.get("/api/v1/nowhere")).headers["cache-control"] == "no-store"


async def _counting_app(scope: Scope, receive: Receive, send: Send) -> None:
    scope["app_calls"].append(scope["path"])
    cache = "public, max-age=60" if scope["path"] != "/private" else "private, max-age=60"
    await Response(b"body", headers={"Cache-Control": cache})(scope, receive, send)


async def _get(app: PublicResponseCache, path: str, calls: list[str]) -> int:
    sent: list[int] = []

    async def receive() -> dict[str, object]:
        return {"type": "http.request", "body": b""}

    async def send(message: dict[str, object]) -> None:
        if message["type"] == "http.response.start":
            sent.append(int(message["status"]))  # type: ignore[call-overload]

    scope = {
        "type": "http",
        "method": "GET",
        "path": path,
        "query_string": b"",
        "headers": [],
        "app_calls": calls,
    }
    await app(scope, receive, send)  # type: ignore[arg-type]
    return sent[0]


async def test_an_entry_lives_max_age_and_the_entries_are_bounded() -> None:
    now = [1000.0]
    cache = PublicResponseCache(_counting_app, max_entries=2, clock=lambda: now[0])
    calls: list[str] = []
    for path in ("/a", "/a", "/private", "/private", "/b", "/c", "/c"):
        assert await _get(cache, path, calls) == 200
    # /a kept; private never; /b kept; /c over the bound: served, not kept.
    assert calls == ["/a", "/private", "/private", "/b", "/c", "/c"]
    now[0] += 59.9
    await _get(cache, "/a", calls)
    assert calls[-1] == "/c"
    now[0] += 0.2  # 60 s after it was kept: fetched afresh (and kept again)
    await _get(cache, "/a", calls)
    await _get(cache, "/a", calls)
    assert calls[-2:] == ["/c", "/a"]
    # Full again (/a anew, /b expired): /c takes the expired entry's room.
    before = len(calls)
    await _get(cache, "/c", calls)
    await _get(cache, "/c", calls)
    assert calls[before:] == ["/c"]
