"""Bodies that cannot be read, on every operation that takes one, anonymously and signed in.

Schemathesis sends invalid *values*; these are invalid *bytes*: a body that is not JSON, and
one that is not UTF-8. Every answer must be a status the operation documents, as a problem,
and an operation that needs a token must answer 401 to an anonymous caller before it looks
at the body (api/deps.py `authenticate_before_body`).
"""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

import httpx
import pytest

from api.openapi import OPENAPI_PATH
from domain.policy import Role
from tests.conftest import LoginAs, assert_problem
from tests.contract.conftest import operations_of

BODIES = {
    "not JSON": (b'{"description": ', "application/json"),
    "not UTF-8": (b'{"description": "\xff\xfe\xc3\x28"}', "application/json"),
    "not a form": (b"\xff\xfe=\xc3\x28&%zz", "application/x-www-form-urlencoded"),
}


def _concrete(path: str) -> str:
    return re.sub(
        r"\{[^}]+\}", lambda m: "40" if m.group(0) == "{code}" else str(uuid.uuid4()), path
    )


def _body_operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, operation)
        for path, method, operation in operations_of(document)
        if "requestBody" in operation
    ]


@pytest.fixture(scope="module")
def committed() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(OPENAPI_PATH.read_text(encoding="utf-8"))
    return loaded


def test_every_operation_with_a_body_documents_400_413_422(committed: dict[str, Any]) -> None:
    operations = _body_operations(committed)
    assert len(operations) > 30
    for path, method, operation in operations:
        assert {"400", "413", "422"} <= set(operation["responses"]), (method, path)


@pytest.mark.parametrize("kind", list(BODIES))
async def test_unreadable_bodies_get_documented_problems(
    committed: dict[str, Any], client: httpx.AsyncClient, login_as: LoginAs, kind: str
) -> None:
    content, media_type = BODIES[kind]
    admin = await login_as(Role.ADMIN)
    seen: set[int] = set()
    for path, method, operation in _body_operations(committed):
        protected = bool(operation.get("security")) and {} not in operation["security"]
        for headers in ({}, admin):
            response = await client.request(
                method.upper(),
                _concrete(path),
                content=content,
                headers={**headers, "Content-Type": media_type},
            )
            status = str(response.status_code)
            assert response.status_code < 500, (kind, method, path, response.text)
            assert status in operation["responses"], (kind, method, path, response.text)
            assert_problem(response, response.status_code)
            if protected and not headers:
                assert response.status_code == 401, (kind, method, path, response.text)
            seen.add(response.status_code)
    assert seen >= {401, 422}
    if kind == "not UTF-8":
        assert 400 in seen
