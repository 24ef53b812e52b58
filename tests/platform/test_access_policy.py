"""Every route of the app against the policy table, for anonymous callers, every role,
and API clients with each scope alone, with every scope and with every scope but one.

The test knows nothing about particular routes: it walks `app.routes`, reads the one
`Requires(action)` each route declares, and checks the answer the policy predicts. A
route added later without a declared rule fails here.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

import httpx
from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts

from api.deps import OWN_CREDENTIAL_ACTIONS, Requires
from api.openapi import client_may_be_refused
from domain.policy import (
    PROVINCIAL_ROLES,
    PUBLIC_ACTIONS,
    RULES,
    Action,
    ClientScope,
    Role,
    client_scope_for,
)
from tests.clients.helpers import client_token, register
from tests.conftest import LoginAs


def declared_rules(dependant: Dependant) -> list[Action]:
    found: list[Action] = []
    for sub in dependant.dependencies:
        if isinstance(sub.call, Requires):
            found.append(sub.call.action)
        found.extend(declared_rules(sub))
    return found


def concrete_path(path: str, route: APIRoute) -> str:
    types: dict[str, Any] = {
        param.name: param.field_info.annotation for param in route.dependant.path_params
    }

    def fill(match: re.Match[str]) -> str:
        name = match.group(1).split(":")[0]
        return str(uuid.uuid4()) if types.get(name) is uuid.UUID else "40"

    return re.sub(r"\{([^}]+)\}", fill, path)


def api_routes(app: FastAPI) -> list[tuple[str, APIRoute]]:
    """(full path, route) of every documented route, included routers resolved."""
    found = []
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if isinstance(route, APIRoute) and route.include_in_schema:
            assert context.path is not None
            found.append((context.path, route))
    return found


async def send(
    client: httpx.AsyncClient, method: str, path: str, headers: dict[str, str]
) -> httpx.Response:
    if method in {"POST", "PUT", "PATCH"}:
        return await client.request(method, path, json={}, headers=headers)
    return await client.request(method, path, headers=headers)


def test_every_route_declares_exactly_one_rule(app: FastAPI) -> None:
    routes = api_routes(app)
    assert len(routes) >= 10
    missing = {
        f"{sorted(r.methods or ())} {path}: {declared_rules(r.dependant)}"
        for path, r in routes
        if len(declared_rules(r.dependant)) != 1
    }
    assert not missing, f"routes without exactly one requires(Action...): {missing}"


async def test_every_route_answers_as_the_policy_says(
    app: FastAPI, client: httpx.AsyncClient, login_as: LoginAs
) -> None:
    callers: dict[Role | None, dict[str, str]] = {None: {}}
    for each in Role:
        callers[each] = await login_as(each, "40" if each in PROVINCIAL_ROLES else None)

    failures: list[str] = []
    checked = 0
    for template, route in api_routes(app):
        (action,) = declared_rules(route.dependant)
        path = concrete_path(template, route)
        for method in sorted(route.methods or ()):
            for caller, headers in callers.items():
                response = await send(client, method, path, headers)
                status = response.status_code
                where = f"{method} {path} as {caller or 'anonymous'} ({action}): {status}"
                checked += 1
                if caller is None and action not in PUBLIC_ACTIONS:
                    if status != 401 or response.headers.get("www-authenticate") != "Bearer":
                        failures.append(f"{where}, expected 401 with WWW-Authenticate: Bearer")
                    elif response.headers["content-type"] != "application/problem+json":
                        failures.append(f"{where}, expected a problem+json body")
                elif caller is not None and caller not in RULES.get(action, {}):
                    if status != 403:
                        failures.append(f"{where}, expected 403 (no rule for the role)")
                elif status in (401, 403):
                    failures.append(f"{where}, expected neither 401 nor 403 (the rule allows)")
    assert checked >= 8 * 10
    assert not failures, "\n".join(failures)


def _scope_sets() -> list[frozenset[ClientScope]]:
    every = frozenset(ClientScope)
    return (
        [frozenset({one}) for one in ClientScope] + [every - {one} for one in ClientScope] + [every]
    )


async def test_every_route_answers_api_clients_as_the_policy_says(
    app: FastAPI, client: httpx.AsyncClient, login_as: LoginAs
) -> None:
    """A client token on every route: allowed where CLIENT_RULES gives one of its scopes
    (or needs none), 403 elsewhere; routes that carry their own credential ignore it."""
    admin = await login_as(Role.ADMIN)
    callers: dict[frozenset[ClientScope], dict[str, str]] = {}
    for scopes in _scope_sets():
        client_id, secret = await register(
            client, admin, scopes=tuple(sorted(scopes)), name=f"client {len(callers)}"
        )
        callers[scopes] = await client_token(client, client_id, secret)

    failures: list[str] = []
    allowed_somewhere = 0
    for template, route in api_routes(app):
        (action,) = declared_rules(route.dependant)
        path = concrete_path(template, route)
        for method in sorted(route.methods or ()):
            for scopes, headers in callers.items():
                response = await send(client, method, path, headers)
                status = response.status_code
                names = " ".join(sorted(scopes))
                where = f"{method} {path} as a client with [{names}] ({action}): {status}"
                allowed = (
                    action in OWN_CREDENTIAL_ACTIONS or client_scope_for(scopes, action) is not None
                )
                if not allowed and status != 403:
                    failures.append(f"{where}, expected 403 (no client rule or scope)")
                elif allowed and status in (401, 403):
                    failures.append(f"{where}, expected neither 401 nor 403 (the rule allows)")
                allowed_somewhere += allowed
    assert allowed_somewhere > 0
    assert not failures, "\n".join(failures)


def test_a_route_without_a_rule_is_reported(fresh_app: FastAPI) -> None:
    app = fresh_app

    @app.get("/api/v1/__no_rule")
    async def tests_no_rule() -> dict[str, str]:
        return {}

    found = {
        (path, method): declared_rules(route.dependant)
        for path, route in api_routes(app)
        for method in route.methods or ()
    }
    assert found["/api/v1/__no_rule", "GET"] == []
    assert found["/api/v1/users/{account_id}", "PATCH"] == [Action.USER_UPDATE]


def test_openapi_documents_the_security_scheme_and_each_routes_refusals(app: FastAPI) -> None:
    document = app.openapi()
    scheme = document["components"]["securitySchemes"]["OAuth2PasswordBearer"]
    assert scheme["flows"]["password"]["tokenUrl"] == "/api/v1/auth/token"
    clients = document["components"]["securitySchemes"]["OAuth2ClientCredentials"]
    flow = clients["flows"]["clientCredentials"]
    assert flow["tokenUrl"] == "/api/v1/auth/token"
    assert set(flow["scopes"]) == {scope.value for scope in ClientScope}
    update = document["paths"]["/api/v1/referrals/{referral_id}/updates"]["post"]
    assert {"OAuth2ClientCredentials": ["referrals:write"]} in update["security"]

    missing: list[str] = []
    for template, route in api_routes(app):
        (action,) = declared_rules(route.dependant)
        for method in route.methods or ():
            operation = document["paths"][template][method.lower()]
            documented = set(operation["responses"])
            expected = set()
            if action not in PUBLIC_ACTIONS:
                expected.add("401")
                if any(role not in RULES.get(action, {}) for role in Role):
                    expected.add("403")
                if action not in OWN_CREDENTIAL_ACTIONS and client_may_be_refused(action):
                    expected.add("403")
            if "{" in template:
                expected.add("404")
            if expected - documented:
                missing.append(f"{method} {template}: {sorted(expected - documented)}")
    assert not missing, "\n".join(missing)
