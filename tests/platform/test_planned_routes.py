"""Planned routes (api/planning.py): the unit of work, the access check and the service
values of a route solved in one dependency, with the same outcome as FastAPI's solving.

Every behaviour test of the suite runs through planned routes; these tests check that the
plan is what serves (so a FastAPI upgrade that stops calling the hook fails here, not
silently in the benchmark), that every feature route is planned, that a route the plan
cannot reproduce is left to FastAPI, and that overriding a folded dependency is refused.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Annotated, Any

import httpx
import pytest
from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.routing import APIRoute, iter_route_contexts

from api.deps import Uow, get_uow, requires
from api.planning import PLANNED, PlannedRoute, _Plan, plan
from api.services import Svc
from domain.policy import Action, Principal, Role
from domain.uow import UnitOfWork
from tests.conftest import LoginAs


def _api_routes(app: FastAPI) -> Iterator[APIRoute]:
    for context in iter_route_contexts(app.routes):
        if isinstance(context.original_route, APIRoute):
            yield context.original_route


def test_every_feature_route_is_planned(app: FastAPI) -> None:
    unplanned = sorted(
        f"{sorted(route.methods or ())} {route.path}"
        for route in _api_routes(app)
        if not route.path.startswith(("/docs", "/redoc"))  # FastAPI's own pages
        and (not isinstance(route, PlannedRoute) or plan(route.dependant) is None)
    )
    assert unplanned == []
    assert sum(1 for _ in _api_routes(app)) >= 100


def test_a_plan_folds_the_known_dependencies_into_one_in_the_access_checks_place(
    app: FastAPI,
) -> None:
    route = next(
        r for r in _api_routes(app) if r.path == "/api/v1/tips" and "GET" in (r.methods or ())
    )
    declared = [sub.name for sub in route.dependant.dependencies]
    assert {"clock", "uow", "caller", "paging"} <= set(declared)
    planned = plan(route.dependant)
    assert planned is not None
    names = [sub.name for sub in planned.dependencies]
    # What remains for FastAPI: the plan, where the access rule was, and the paging.
    assert names == [PLANNED, "paging"]
    # The declared dependant (OpenAPI, declared_action) is left as it was.
    assert [sub.name for sub in route.dependant.dependencies] == declared


@pytest.fixture
def plan_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The paths whose requests were served through `_Plan` (a spy, the plan still runs)."""
    seen: list[str] = []
    original = _Plan.__call__

    async def spy(self: _Plan, request: Request) -> AsyncIterator[dict[str, Any]]:
        seen.append(request.url.path)
        async for values in original(self, request):
            yield values

    monkeypatch.setattr(_Plan, "__call__", spy)
    return seen


async def test_requests_are_served_by_the_plan(
    fresh_app: FastAPI, login_as: LoginAs, plan_calls: list[str]
) -> None:
    # An app of the test's own: the shared one may answer the province from its cache.
    transport = httpx.ASGITransport(app=fresh_app)
    headers = await login_as(Role.CENTRAL_OFFICER)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        assert (await client.get("/api/v1/provinces/40")).status_code == 200
        assert (await client.get("/api/v1/tips?limit=5", headers=headers)).status_code == 200
        refused = await client.get("/api/v1/tips?limit=5")
    assert refused.status_code == 401
    assert refused.headers["content-type"] == "application/problem+json"
    assert plan_calls == ["/api/v1/provinces/40", "/api/v1/tips", "/api/v1/tips"]


async def test_overriding_a_folded_dependency_is_refused_not_ignored(fresh_app: FastAPI) -> None:
    async def other_uow() -> AsyncIterator[None]:
        yield None

    app = fresh_app
    app.dependency_overrides[get_uow] = other_uow
    try:
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            response = await c.get("/api/v1/provinces/40")
    finally:
        app.dependency_overrides.clear()
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"


async def _reads_the_uow(uow: Uow) -> UnitOfWork:
    return uow


def test_a_route_the_plan_cannot_reproduce_is_left_to_fastapi() -> None:
    router = APIRouter(route_class=PlannedRoute)

    @router.get("/planned")
    async def planned(
        uow: Uow, services: Svc, caller: Annotated[Principal | None, requires(Action.PROVINCE_READ)]
    ) -> None: ...

    @router.get("/unplanned")
    async def unplanned(
        caller: Annotated[Principal | None, requires(Action.PROVINCE_READ)],
        other: Annotated[UnitOfWork, Depends(_reads_the_uow)],  # would get a second uow
    ) -> None: ...

    @router.get("/no-access-rule")
    async def no_access_rule(uow: Uow) -> None: ...

    routes = {route.path: route for route in router.routes if isinstance(route, APIRoute)}
    assert plan(routes["/planned"].dependant) is not None
    assert plan(routes["/unplanned"].dependant) is None
    assert plan(routes["/no-access-rule"].dependant) is None
