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
