"""The problem-type registry (api/problems.py) is complete, published, and what is sent.

Every kind the code can emit is registered: the tables in api/errors.py hold registered
kinds, every domain error maps to one, and no module builds a kind of its own. The
registry is written out in docs/problems.md and in the document's `Problem` schema, and
real error responses validate against that schema with the registered title.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any

import httpx
import pytest
from jsonschema import Draft202012Validator  # type: ignore[import-untyped]
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from api import errors, problems
from api.problems import PROBLEM_KINDS, PROBLEM_TYPE_BASE, PROBLEM_TYPES_DOC, ProblemKind
from domain.errors import DomainError
from domain.policy import Role
from tests.conftest import LoginAs, assert_problem

ROOT = Path(__file__).resolve().parents[2]


def _subclasses(cls: type[DomainError]) -> list[type[DomainError]]:
    found = []
    for sub in cls.__subclasses__():
        found.append(sub)
        found.extend(_subclasses(sub))
    return found


def test_the_error_tables_hold_registered_kinds() -> None:
    tables: list[dict[Any, ProblemKind]] = [
        errors.ERROR_TABLE,
        errors.HTTP_ERROR_TABLE,
        errors._CLIENT_DATABASE_ERRORS,
    ]
    for table in tables:
        for key, kind in table.items():
            assert PROBLEM_KINDS.get(kind.slug) == kind, (key, kind)
    for status, kind in errors.HTTP_ERROR_TABLE.items():
        assert kind.status == status


def test_every_domain_error_maps_to_a_registered_kind(offline_app: object) -> None:
    # The app is built, so every feature's errors module is imported.
    subclasses = _subclasses(DomainError)
    assert len(subclasses) > 20
    for cls in subclasses:
        kind = next(k for c in cls.__mro__ if (k := errors.ERROR_TABLE.get(c)) is not None)
        assert kind in PROBLEM_KINDS.values(), cls


def test_no_module_builds_a_problem_kind_of_its_own() -> None:
    """Kinds are made in api/problems.py only, and each one made there is registered."""
    for module in sorted((ROOT / "api").rglob("*.py")):
        if module.name == "problems.py" and module.parent.name == "api":
            continue
        tree = ast.parse(module.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
                assert name != "ProblemKind", f"{module}:{node.lineno}"
                if name == "problem_response":
                    assert node.args, f"{module}:{node.lineno}: pass a registered kind"
    declared = [value for value in vars(problems).values() if isinstance(value, ProblemKind)]
    assert {kind.slug for kind in declared} == set(PROBLEM_KINDS)


def test_docs_list_every_problem_type() -> None:
    text = (ROOT / PROBLEM_TYPES_DOC).read_text(encoding="utf-8")
    rows = dict(re.findall(r"^\| `([a-z-]+)` \| (\d{3}) \|", text, re.MULTILINE))
    assert rows == {slug: str(kind.status) for slug, kind in PROBLEM_KINDS.items()}
    for kind in PROBLEM_KINDS.values():
        assert f"| `{kind.slug}` | {kind.status} | {kind.title} |" in text, kind.slug


@pytest.fixture(scope="module")
def problem_validator(document: dict[str, Any]) -> Any:
    registry = Registry().with_resource(
        "urn:doc", Resource.from_contents(document, default_specification=DRAFT202012)
    )
    return Draft202012Validator({"$ref": "urn:doc#/components/schemas/Problem"}, registry=registry)


async def _responses(
    client: httpx.AsyncClient, login_as: LoginAs
) -> list[tuple[httpx.Response, int, str]]:
    big = b"{" + b" " * (64 * 1024) + b"}"
    admin = await login_as(Role.ADMIN)
    auditor = await login_as(Role.AUDITOR)
    return [
        (await client.get("/api/v1/nothing-here"), 404, "not-found"),
        (await client.get("/api/v1/provinces/99"), 404, "not-found"),
        (await client.delete("/api/v1/provinces"), 405, "method-not-allowed"),
        (await client.get("/api/v1/me"), 401, "not-authenticated"),
        (await client.post("/api/v1/auth/token", data={}), 422, "validation-error"),
        (await client.post("/api/v1/auth/refresh", content=big), 413, "payload-too-large"),
        (await client.get("/api/v1/users", headers=auditor), 403, "forbidden"),
        (
            await client.get("/api/v1/users", params={"cursor": "not-a-cursor"}, headers=admin),
            422,
            "invalid-input",
        ),
    ]


async def test_problems_sent_match_the_documented_schema(
    client: httpx.AsyncClient, login_as: LoginAs, problem_validator: Any
) -> None:
    for response, status, slug in await _responses(client, login_as):
        body = assert_problem(response, status, slug)
        kind = PROBLEM_KINDS[slug]
        assert body["title"] == kind.title, body
        errors_found = sorted(str(e.message) for e in problem_validator.iter_errors(body))
        assert not errors_found, (body, errors_found)
        assert ("errors" in body) == (slug == "validation-error"), body
        if "errors" in body:
            assert body["errors"]
            assert all(set(item) == {"loc", "msg", "type"} for item in body["errors"])
        assert body["type"] == PROBLEM_TYPE_BASE + slug
