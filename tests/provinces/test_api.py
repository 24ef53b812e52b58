from __future__ import annotations

import httpx
import pytest

from tests.conftest import assert_problem


async def test_lists_all_77_provinces_ordered_by_code(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/provinces")
    assert response.status_code == 200
    body = response.json()
    codes = [p["code"] for p in body["items"]]
    assert body["count"] == 77 == len(codes)
    assert codes == sorted(codes)
    assert len(set(codes)) == 77
    assert all(p["iso_code"] == f"TH-{p['code']}" for p in body["items"])
    bueng_kan = next(p for p in body["items"] if p["code"] == "38")
    assert bueng_kan["name_en"] == "Bueng Kan"
    assert bueng_kan["name_th"] == "บึงกาฬ"
    assert "TH-S" not in {p["iso_code"] for p in body["items"]}  # Pattaya is not a province


@pytest.mark.parametrize("code", ["40", "TH-40", "th-40"])
async def test_get_province_by_either_code(client: httpx.AsyncClient, code: str) -> None:
    response = await client.get(f"/api/v1/provinces/{code}")
    assert response.status_code == 200
    body = response.json()
    assert body["code"] == "40"
    assert body["name_en"] == "Khon Kaen"
    assert body["name_th"] == "ขอนแก่น"
    assert body["region"] == "northeast"
    assert body["labour_office"] == {
        "name": "สำนักงานแรงงานจังหวัดขอนแก่น",
        "address": None,
        "phone": None,
        "email": None,
    }


@pytest.mark.parametrize("code", ["99", "TH-99", "TH-S", "abc", "4"])
async def test_unknown_province_is_a_404_problem(client: httpx.AsyncClient, code: str) -> None:
    response = await client.get(f"/api/v1/provinces/{code}")
    problem = assert_problem(response, 404, "not-found")
    assert code in problem["detail"]
    assert problem["instance"] == f"/api/v1/provinces/{code}"


async def test_filter_by_region(client: httpx.AsyncClient) -> None:
    expected = {"north": 9, "northeast": 20, "central": 22, "east": 7, "west": 5, "south": 14}
    for region, count in expected.items():
        response = await client.get("/api/v1/provinces", params={"region": region})
        assert response.status_code == 200
        items = response.json()["items"]
        assert len(items) == count, region
        assert {p["region"] for p in items} == {region}


async def test_unknown_region_is_a_422_problem(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/provinces", params={"region": "nonsense"})
    problem = assert_problem(response, 422, "validation-error")
    assert problem["errors"][0]["loc"] == ["query", "region"]
    assert "region" in problem["detail"]


async def test_provinces_are_cacheable_and_revalidate_with_304(client: httpx.AsyncClient) -> None:
    first = await client.get("/api/v1/provinces/TH-40")
    assert first.status_code == 200
    etag = first.headers["etag"]
    assert etag.startswith('"')
    assert first.headers["cache-control"] == "public, max-age=3600"
    assert first.json()["code"] == "40"
    # The same resource under another spelling of its code has the same ETag.
    assert (await client.get("/api/v1/provinces/40")).headers["etag"] == etag

    again = await client.get("/api/v1/provinces/40", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == etag
    weak = await client.get("/api/v1/provinces/40", headers={"If-None-Match": f"W/{etag}"})
    assert weak.status_code == 304
    stale = await client.get("/api/v1/provinces/40", headers={"If-None-Match": '"other"'})
    assert stale.status_code == 200
    assert stale.json() == first.json()

    listing = await client.get("/api/v1/provinces")
    assert len(listing.json()["items"]) == 77
    assert listing.headers["etag"] != etag
    northeast = await client.get("/api/v1/provinces", params={"region": "northeast"})
    assert northeast.headers["etag"] not in (etag, listing.headers["etag"])
    assert len(northeast.json()["items"]) == 20
    cached = await client.get(
        "/api/v1/provinces", headers={"If-None-Match": listing.headers["etag"]}
    )
    assert cached.status_code == 304


async def test_an_unknown_province_is_never_cached(client: httpx.AsyncClient) -> None:
    missing = await client.get("/api/v1/provinces/99")
    assert missing.status_code == 404
    assert "etag" not in missing.headers
    assert missing.headers["cache-control"] == "no-store"
