"""Gates on the committed OpenAPI document: what a partner's tools will see.

Valid OpenAPI, valid examples, a generated Python client without warnings, plain
component names, a summary and a description on every operation, security as the
access policy says, and the headers every operation shares.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from openapi_spec_validator import validate

from api.idempotency import KEY_PATTERN
from api.openapi import (
    ACCESS_MARK,
    BEARER,
    OPTIONAL_SECURITY_KEY,
    OPTIONAL_SIGN_IN_ACTIONS,
    REQUEST_ID_PATTERN,
    client_security,
    human_description,
)
from api.problems import PROBLEM_KINDS
from domain.policy import PUBLIC_ACTIONS, Action
from tests.contract.conftest import GenerationResult, operations_of
from tests.contract.examples import iter_example_failures

OWN_CREDENTIAL = {
    Action.AUTH_TOKEN,
    Action.AUTH_REFRESH,
    Action.AUTH_LOGOUT,
    Action.VOLUNTEER_ACTIVATE,
}


def test_the_document_is_valid_openapi(document: dict[str, Any]) -> None:
    validate(document)


def test_every_example_validates_against_its_schema(document: dict[str, Any]) -> None:
    failures = list(iter_example_failures(document))
    assert not failures, "\n".join(failures)


def test_a_python_client_is_generated_without_warnings(
    generated_client: GenerationResult,
) -> None:
    assert generated_client.returncode == 0, generated_client.log
    noisy = [
        line
        for line in generated_client.log.splitlines()
        if re.search(r"warning|error|unable|not in PATH", line, re.IGNORECASE)
    ]
    assert not noisy, generated_client.log


def test_anonymous_operations_take_a_plain_client(
    document: dict[str, Any],
    generated_client: GenerationResult,
    route_actions: dict[tuple[str, str], Action],
) -> None:
    """The generated functions of public operations accept `Client` (no token needed);
    the others demand an `AuthenticatedClient`. Optional sign-in (tip submission) is typed
    for an `AuthenticatedClient` by the generator (openapi-python-client#1372); a plain
    `Client` works at run time (tests/contract/test_generated_client.py sends a tip so)."""
    sources = {
        module.stem: module.read_text(encoding="utf-8")
        for module in generated_client.package.glob("api/*/*.py")
    }
    assert sources, generated_client.log
    for path, method, operation in operations_of(document):
        source = sources[operation["operationId"]]
        action = route_actions[(path, method)]
        public = action in PUBLIC_ACTIONS and action not in OPTIONAL_SIGN_IN_ACTIONS
        accepts_client = "\n    client: AuthenticatedClient | Client,\n" in source
        demands_token = "\n    client: AuthenticatedClient,\n" in source
        assert (accepts_client, demands_token) == (public, not public), (path, method)


def test_component_names_are_plain(document: dict[str, Any]) -> None:
    for section, components in document["components"].items():
        for name in components:
            assert "__" not in name, (section, name)
            assert not name.startswith("Body_"), (section, name)
            assert re.fullmatch(r"[A-Za-z0-9._-]+", name), (section, name)


def test_every_operation_has_a_summary_and_a_description(document: dict[str, Any]) -> None:
    missing = [
        f"{method.upper()} {path} ({operation['operationId']})"
        for path, method, operation in operations_of(document)
        if not operation.get("summary") or not human_description(operation)
    ]
    assert not missing, (
        f"operations whose route docstring has no description after its first line: {missing}"
    )


def test_security_follows_the_access_policy(
    document: dict[str, Any], route_actions: dict[tuple[str, str], Action]
) -> None:
    """Own-credential operations: no token. Optional sign-in (tip submission): `[{},
    {bearer}]`. Other public ones: none needed (the optional token in
    `x-optional-security`). Every other operation: the bearer token. Where API clients may
    call, the client credentials scheme with the scope CLIENT_RULES names, as an
    alternative."""
    assert set(route_actions) == {(path, method) for path, method, _ in operations_of(document)}
    assert "security" not in document  # no global default: each operation says
    bearer: list[dict[str, list[str]]] = [{BEARER: []}]
    for path, method, operation in operations_of(document):
        action = route_actions[(path, method)]
        where = (path, method, action)
        assert ACCESS_MARK in operation["description"], where
        if action in OWN_CREDENTIAL:
            assert operation["security"] == [], where
            assert OPTIONAL_SECURITY_KEY not in operation, where
        elif action in OPTIONAL_SIGN_IN_ACTIONS:
            assert operation["security"] == [{}, {BEARER: []}], where
            assert "401" in operation["responses"], where
        elif action in PUBLIC_ACTIONS:
            assert operation["security"] == [], where
            assert operation[OPTIONAL_SECURITY_KEY] == bearer + client_security(action), where
            assert "401" in operation["responses"], where  # a token sent is checked
        else:
            assert operation["security"] == bearer + client_security(action), where
            assert "401" in operation["responses"], where


def test_own_credential_401s_are_not_about_the_access_token(
    document: dict[str, Any], route_actions: dict[tuple[str, str], Action]
) -> None:
    for path, method, operation in operations_of(document):
        if route_actions[(path, method)] in OWN_CREDENTIAL and "401" in operation["responses"]:
            description = operation["responses"]["401"]["description"]
            assert "access token is missing" not in description, (path, method)


def test_every_response_documents_the_shared_headers(document: dict[str, Any]) -> None:
    headers = document["components"]["headers"]
    assert headers["X-Request-ID"]["schema"]["pattern"] == REQUEST_ID_PATTERN
    for path, method, operation in operations_of(document):
        for status, response in operation["responses"].items():
            where = (path, method, status)
            documented = response.get("headers", {})
            assert documented["X-Request-ID"] == {"$ref": "#/components/headers/X-Request-ID"}
            if status == "401":
                assert "WWW-Authenticate" in documented, where
            if status == "429":
                assert "Retry-After" in documented, where
            if int(status) >= 400:
                assert list(response["content"]) == ["application/problem+json"], where


def _parameters(document: dict[str, Any], operation: dict[str, Any]) -> list[dict[str, Any]]:
    resolved = []
    for parameter in operation.get("parameters", []):
        if "$ref" in parameter:
            parameter = document["components"]["parameters"][parameter["$ref"].split("/")[-1]]
        resolved.append(parameter)
    return resolved


def test_request_headers_carry_their_real_rules(document: dict[str, Any]) -> None:
    idempotent = 0
    for path, method, operation in operations_of(document):
        parameters = _parameters(document, operation)
        names = [p["name"] for p in parameters]
        assert names.count("X-Request-ID") == 1, (path, method)
        for parameter in parameters:
            where = (path, method, parameter["name"])
            schema = parameter["schema"]
            if parameter["in"] in ("header", "query"):
                assert {"type": "null"} not in schema.get("anyOf", []), where
            if parameter["name"] == "If-Match":
                assert parameter["required"] is True, where  # missing: 428
            if parameter["name"] == "Idempotency-Key":
                idempotent += 1
                assert schema["pattern"] == KEY_PATTERN, where
            if parameter["name"] == "X-Request-ID":
                assert parameter["required"] is False, where
                assert schema["pattern"] == REQUEST_ID_PATTERN, where
    assert idempotent >= 2


def test_documented_patterns_are_the_ones_the_code_applies() -> None:
    from api import middleware
    from domain import idempotency

    assert middleware._VALID_REQUEST_ID.pattern == REQUEST_ID_PATTERN.encode()
    assert idempotency._KEY.pattern == KEY_PATTERN


def test_operations_with_a_body_document_413(document: dict[str, Any]) -> None:
    for path, method, operation in operations_of(document):
        if "requestBody" in operation:
            assert "413" in operation["responses"], (path, method)


def test_info_servers_and_tags(document: dict[str, Any]) -> None:
    info = document["info"]
    assert info["contact"]["url"].startswith("https://")
    assert info["license"]["name"]
    assert document["servers"]
    described = {tag["name"] for tag in document["tags"] if tag.get("description")}
    used = {tag for _, _, operation in operations_of(document) for tag in operation["tags"]}
    assert used <= described, used - described


def test_the_problem_schema_lists_every_problem_type(document: dict[str, Any]) -> None:
    problem = document["components"]["schemas"]["Problem"]
    listed = {entry["type"]: entry for entry in problem["x-problem-types"]}
    assert set(listed) == {kind.type for kind in PROBLEM_KINDS.values()}
    for kind in PROBLEM_KINDS.values():
        entry = listed[kind.type]
        assert (entry["status"], entry["title"]) == (kind.status, kind.title)
        assert entry["when"], kind.slug
    assert problem["properties"]["errors"]["items"] == {"$ref": "#/components/schemas/FieldError"}
    assert set(document["components"]["schemas"]["FieldError"]["required"]) == {
        "loc",
        "msg",
        "type",
    }


@pytest.mark.parametrize("status", ["401", "403", "404", "409", "422", "429"])
def test_error_responses_name_their_problem_types(document: dict[str, Any], status: str) -> None:
    slugs = [kind.slug for kind in PROBLEM_KINDS.values() if str(kind.status) == status]
    for path, method, operation in operations_of(document):
        response = operation["responses"].get(status)
        if response is not None:
            for slug in slugs:
                assert f"`{slug}`" in response["description"], (path, method, status)
