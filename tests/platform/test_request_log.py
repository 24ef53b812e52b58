from __future__ import annotations

import json
import logging

import httpx
import pytest

from api.logging import JsonFormatter


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


async def test_api_responses_are_never_cached(client: httpx.AsyncClient) -> None:
    assert (await client.get("/api/v1/provinces/40")).headers["cache-control"] == "no-store"
    assert (await client.get("/api/v1/nowhere")).headers["cache-control"] == "no-store"
    assert "cache-control" not in (await client.get("/health/live")).headers
