"""The one ASGI layer around the routes (api/middleware.py `EdgeMiddleware`), on its own:
what it answers itself carries the same headers, CORS and metrics as a route's answer."""

from __future__ import annotations

from collections.abc import AsyncIterator
from functools import partial

import httpx
import pytest
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import Response, StreamingResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from api.metrics import MetricsCollector
from api.middleware import EdgeMiddleware
from api.overload import ConcurrencyLimit
from tests.conftest import assert_problem
from tests.platform.test_metrics import sample

ORIGIN = "https://app.example.go.th"
CORS = partial(CORSMiddleware, allow_origins=[ORIGIN], allow_methods=["GET", "POST"])


async def ok(scope: Scope, receive: Receive, send: Send) -> None:
    await Response(b"{}", media_type="application/json")(scope, receive, send)


def client(app: ASGIApp) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    return httpx.AsyncClient(transport=transport, base_url="http://t")


async def test_its_own_refusals_carry_cors_and_security_headers() -> None:
    limit = ConcurrencyLimit(1, queue_seconds=0)
    edge = EdgeMiddleware(ok, max_body_bytes=10, concurrency=limit, cors=CORS)
    async with client(edge) as c:
        too_large = await c.post("/api/v1/tips", content=b"x" * 11, headers={"Origin": ORIGIN})
        assert_problem(too_large, 413)
        assert await limit.acquire()  # every slot taken
        shed = await c.get("/api/v1/tips", headers={"Origin": ORIGIN})
        assert_problem(shed, 503, "service-unavailable")
        assert shed.headers["retry-after"] == "1"
    for answer in (too_large, shed):
        assert answer.headers["access-control-allow-origin"] == ORIGIN
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert answer.headers["cache-control"] == "no-store"
        assert answer.headers["x-request-id"] == answer.json()["request_id"]


@pytest.mark.parametrize(
    ("error", "status"),
    [(RuntimeError("internal state"), 500), (ConnectionRefusedError("db down"), 503)],
)
async def test_an_escaped_exception_is_answered_and_counted_with_the_answers_status(
    error: Exception, status: int
) -> None:
    async def failing(scope: Scope, receive: Receive, send: Send) -> None:
        raise error

    metrics = MetricsCollector()
    async with client(EdgeMiddleware(failing, max_body_bytes=10, metrics=metrics)) as c:
        answer = await c.get("/api/v1/tips", headers={"X-Request-ID": "req-edge-0001"})
    body = assert_problem(answer, status)
    assert body["request_id"] == "req-edge-0001"
    assert answer.headers["x-frame-options"] == "DENY"
    exposition = (await metrics.exposition()).decode()
    counted = "duangta_http_requests_total"
    assert sample(exposition, counted, method="GET", route="<unmatched>", status=str(status)) == 1
    assert sample(exposition, counted, method="GET", route="<unmatched>", status="500") == (
        1 if status == 500 else 0
    )


def streaming(chunks: list[bytes]) -> ASGIApp:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        async def body() -> AsyncIterator[bytes]:
            for chunk in chunks:
                yield chunk

        await StreamingResponse(body(), media_type="application/json")(scope, receive, send)

    return app


async def test_vary_marks_every_answer_gzip_would_change_and_only_those() -> None:
    cases = {
        "/big": (ok_of(b"x" * 2048), True),
        "/small": (ok_of(b"x" * 100), False),
        "/streamed": (streaming([b"[", b"1", b"]"]), True),  # length unknown up front
        "/png": (ok_of(b"x" * 2048, "image/png"), False),
        "/api/v1/auth/token": (ok_of(b"x" * 2048), False),  # never compressed
    }
    for path, (app, varies) in cases.items():
        async with client(EdgeMiddleware(app, max_body_bytes=10)) as c:
            plain = await c.get(path, headers={"Accept-Encoding": "identity"})
            zipped = await c.get(path, headers={"Accept-Encoding": "gzip"})
        assert plain.status_code == 200
        assert "content-encoding" not in plain.headers
        assert ("accept-encoding" in plain.headers.get("vary", "").lower()) is varies, path
        assert (zipped.headers.get("content-encoding") == "gzip") is varies, path
        assert zipped.content == plain.content


def ok_of(body: bytes, media_type: str = "application/json") -> ASGIApp:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await Response(body, media_type=media_type)(scope, receive, send)

    return app
