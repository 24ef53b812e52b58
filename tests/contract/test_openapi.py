from __future__ import annotations

import json
import re

import httpx
from fastapi import FastAPI

from api.openapi import OPENAPI_PATH, render


async def test_committed_openapi_matches_the_app(app: FastAPI) -> None:
    generated = render(app.openapi())
    committed = OPENAPI_PATH.read_text(encoding="utf-8")
    assert committed == generated, "openapi/openapi.json is stale: run `make openapi`"


async def test_operations_have_ids_summaries_and_problem_errors(app: FastAPI) -> None:
    document = app.openapi()
    seen_ids: set[str] = set()
    for path, item in document["paths"].items():
        for method, operation in item.items():
            op_id = operation["operationId"]
            assert re.fullmatch(r"[a-z]+(_[a-z]+)+", op_id), (path, method, op_id)
            assert op_id not in seen_ids
            seen_ids.add(op_id)
            assert operation.get("summary"), (path, method)
            assert operation.get("tags"), (path, method)
            for status, response in operation["responses"].items():
                if int(status) >= 400:
                    assert list(response["content"]) == ["application/problem+json"]
    assert {"provinces_list", "provinces_get", "health_live", "health_ready"} <= seen_ids


async def test_docs_load_without_external_requests(client: httpx.AsyncClient) -> None:
    for page in ("/docs", "/redoc"):
        response = await client.get(page)
        assert response.status_code == 200
        urls = re.findall(r"""(?:src|href)=["']([^"']+)["']""", response.text)
        urls += re.findall(r"""https?://[^\s"'<>)]+""", response.text)
        external = [u for u in urls if u.startswith(("http://", "https://", "//"))]
        assert not external, (page, external)
        for url in urls:
            if url.startswith("/"):
                asset = await client.get(url)
                assert asset.status_code == 200, url


def test_links_name_real_operations_and_their_parameters() -> None:
    """Every OpenAPI link (api/openapi.py `LINKS`) leads to an operation of the document
    and fills parameters that operation has, from the answer's body or ETag."""
    document = json.loads(OPENAPI_PATH.read_text(encoding="utf-8"))
    operations = {
        operation["operationId"]: operation
        for item in document["paths"].values()
        for operation in item.values()
    }
    links = 0
    for operation in operations.values():
        for response in operation["responses"].values():
            for name, link in response.get("links", {}).items():
                links += 1
                target = operations.get(link["operationId"])
                assert target is not None, (operation["operationId"], name)
                declared = [p for p in target.get("parameters", []) if "in" in p]
                names = {f"{p['in']}.{p['name']}" for p in declared}
                names |= {p["name"] for p in declared if p["in"] == "path"}
                for parameter, expression in link.get("parameters", {}).items():
                    assert parameter in names, (name, parameter)
                    assert expression.startswith("$response."), (name, expression)
                if "requestBody" in link:
                    assert "requestBody" in target, name
    assert links >= 40
