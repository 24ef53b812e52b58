from __future__ import annotations

import json
import logging

import httpx
import pytest
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from api.logging import JsonFormatter
from api.middleware import EdgeMiddleware


async def test_one_json_line_per_request_with_route_template(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="duangta.request"):
        response = await client.get("/api/v1/provinces/TH-40?x=1")
    records = [r for r in caplog.records if r.name == "duangta.request"]
    assert len(records) == 1
    line = json.loads(JsonFormatter().format(records[0]))
    assert line["method"] == "GET"
    assert line["route"] == "/api/v1/provinces/{code}"
    assert line["status"] == 200
    assert isinstance(line["duration_ms"], float)
    assert line["request_id"] == response.headers["x-request-id"]
    assert "TH-40" not in json.dumps(line)


async def test_valid_request_id_is_echoed(client: httpx.AsyncClient) -> None:
    response = await client.get("/health/live", headers={"X-Request-ID": "abc-123_XYZ.9"})
    assert response.headers["x-request-id"] == "abc-123_XYZ.9"


@pytest.mark.parametrize("bad", ["short", "has space in it", "x" * 65, "<script>alert</script>"])
async def test_invalid_request_id_is_replaced(client: httpx.AsyncClient, bad: str) -> None:
    response = await client.get("/health/live", headers={"X-Request-ID": bad})
    echoed = response.headers["x-request-id"]
    assert echoed != bad
    assert len(echoed) == 32


async def test_api_responses_are_never_cached_except_reference_data(
    client: httpx.AsyncClient,
) -> None:
    assert (await client.get("/api/v1/nowhere")).headers["cache-control"] == "no-store"
    assert (await client.get("/api/v1/provinces/99")).headers["cache-control"] == "no-store"
    assert (await client.get("/api/v1/tips")).headers["cache-control"] == "no-store"
    # Provinces are public reference data (tests/provinces/test_api.py).
    province = await client.get("/api/v1/provinces/40")
    assert province.headers["cache-control"] == "public, max-age=3600"
    assert "cache-control" not in (await client.get("/health/live")).headers


async def test_large_responses_are_gzipped_for_clients_that_ask(
    client: httpx.AsyncClient,
) -> None:
    plain = await client.get("/api/v1/provinces", headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers
    zipped = await client.get("/api/v1/provinces", headers={"Accept-Encoding": "gzip"})
    assert zipped.headers["content-encoding"] == "gzip"
    assert zipped.json() == plain.json()  # httpx decodes it
    assert int(zipped.headers["content-length"]) < len(plain.content) / 3
    assert "accept-encoding" in zipped.headers["vary"].lower()
    small = await client.get("/api/v1/provinces/40", headers={"Accept-Encoding": "gzip"})
    assert "content-encoding" not in small.headers  # under 1 KB: not worth it


async def test_token_responses_are_never_compressed() -> None:
    async def big(scope: Scope, receive: Receive, send: Send) -> None:
        await Response(b"x" * 4096, media_type="application/json")(scope, receive, send)

    transport = httpx.ASGITransport(app=EdgeMiddleware(big, max_body_bytes=1024))
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as plain:
        gzip = {"Accept-Encoding": "gzip"}
        assert (await plain.get("/api/v1/tips", headers=gzip)).headers["content-encoding"] == "gzip"
        for path in ("/api/v1/auth/token", "/api/v1/auth/refresh"):
            answer = await plain.post(path, headers=gzip)
            assert "content-encoding" not in answer.headers
            assert len(answer.content) == 4096


async def test_uncompressed_large_responses_still_vary_on_accept_encoding(
    client: httpx.AsyncClient,
) -> None:
    # A cache must not hand this identity answer to a client that asked for gzip (or
    # the reverse): the identity path keeps Starlette's Vary, only compression is skipped.
    for asked in ({"Accept-Encoding": "identity"}, {"Accept-Encoding": "br"}):
        plain = await client.get("/api/v1/provinces", headers=asked)
        assert "content-encoding" not in plain.headers
        assert "accept-encoding" in plain.headers["vary"].lower()
    small = await client.get("/api/v1/provinces/40", headers={"Accept-Encoding": "identity"})
    assert "vary" not in small.headers  # under 1 KB: neither compressed nor varied
