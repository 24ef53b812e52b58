"""Planned routes: a route's framework dependencies solved in one step (issue 10).

FastAPI solves a route's dependencies one at a time, generically: for each one it walks
the sub-tree, consults its cache, classifies the callable and looks for four kinds of
parameters, even in a dependency that has none. A typical route here declares its unit of
work, its access rule (which itself declares the unit of work and the bearer token) and a
service or two: five dependencies solved before the route runs, about a fifth of a cheap
request's CPU (py-spy: `python -m bench.profile provinces_get`).

`PlannedRoute` gives FastAPI's request handler an equivalent dependant in which those
known dependencies are one, `_Plan`: an async generator on the function-scoped exit stack
(the scope `Uow` has) that opens the unit of work, reads the bearer token as the OAuth2
scheme does, runs the route's own `Requires.check` and computes the service values, then
yields them by parameter name; the endpoint is called through a wrapper that spreads them.
Everything else (path, query, header and body parameters, paging, rate limits, any other
dependency) is still solved by FastAPI, in its place relative to the access check. The
route's declared `dependant` is not changed: the OpenAPI document (security schemes
included) and the code that reads it (`declared_action`, `authenticate_before_body`) see
the route as written.

A route is planned only where that is certainly equivalent: its access rule is one
top-level `requires(...)` of the usual shape, its endpoint is a coroutine, and no other
dependency reaches the unit of work or an access rule (FastAPI would give that one a unit
of work of its own). Any other route is solved by FastAPI as before. An entry in
`app.dependency_overrides` for a folded dependency is refused loudly rather than ignored.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Any

from fastapi import Request
from fastapi.dependencies.models import Dependant
from fastapi.dependencies.utils import get_dependant
from fastapi.routing import APIRoute
from fastapi.routing import _effective_route_context_var as effective_route_context
from starlette.responses import Response

from api.deps import Requires, get_uow, oauth2_scheme, open_uow
from api.services import SERVICE_VALUES, Services

#: The name under which FastAPI hands the plan's values to the endpoint wrapper.
PLANNED = "__planned__"


@dataclasses.dataclass(frozen=True, slots=True)
class _Plan:
    """The route's unit of work, access check and service values, in one dependency."""

    access: Requires
    caller: str | None
    uow: str | None
    services: tuple[tuple[str | None, Callable[[Services], Any]], ...]
    folded: frozenset[Callable[..., Any]]

    async def __call__(self, request: Request) -> AsyncIterator[dict[str, Any]]:
        if request.app.dependency_overrides:
            self._refuse_overrides(request.app.dependency_overrides)
        services: Services = request.app.state.services
        async with open_uow(request) as uow:  # as get_uow: entered first, ended last
            values = {name: pick(services) for name, pick in self.services if name}
            if self.uow:
                values[self.uow] = uow
            principal = await self.access.check(request, uow, await oauth2_scheme(request))
            if self.caller:
                values[self.caller] = principal
            yield values

    def _refuse_overrides(self, overrides: dict[Any, Any]) -> None:
        overridden = self.folded & overrides.keys()
        if overridden:
            names = sorted(getattr(call, "__qualname__", repr(call)) for call in overridden)
            raise RuntimeError(
                f"planned routes solve {names} themselves: dependency_overrides of them "
                "would be ignored (api/planning.py)"
            )


def _reaches_state(dependant: Dependant) -> bool:
    """Whether the unit of work or an access rule is in this dependency's sub-tree."""
    return any(
        sub.call is get_uow or isinstance(sub.call, Requires) or _reaches_state(sub)
        for sub in dependant.dependencies
    )


def _is_usual_access(access: Dependant) -> bool:
    """`Requires` as declared in api/deps.py: the unit of work (function scope) and the
    bearer token, nothing else (a changed signature must be planned anew, not guessed)."""
    calls = [(sub.call, sub.scope) for sub in access.dependencies]
    return calls == [(get_uow, "function"), (oauth2_scheme, None)] and not (
        access.path_params or access.query_params or access.header_params
    )


def plan(dependant: Dependant) -> Dependant | None:
    """The route's dependant with its known dependencies folded into one `_Plan`, or None
    when the route cannot be planned (it is then solved by FastAPI as declared)."""
    endpoint = dependant.call
    if endpoint is None or not inspect.iscoroutinefunction(endpoint):
        return None
    accesses = [sub for sub in dependant.dependencies if isinstance(sub.call, Requires)]
    if len(accesses) != 1 or not _is_usual_access(accesses[0]):
        return None
    access = accesses[0]
    uow: str | None = None
    services: list[tuple[str | None, Callable[[Services], Any]]] = []
    folded: set[Callable[..., Any]] = {get_uow, oauth2_scheme}
    kept: list[Dependant] = []
    for sub in dependant.dependencies:
        if sub is access:
            kept.append(sub)  # replaced by the plan below, in the same place
        elif sub.call is get_uow and sub.scope == "function":
            uow = sub.name
        elif sub.call in SERVICE_VALUES and not sub.dependencies:
            services.append((sub.name, SERVICE_VALUES[sub.call]))
            folded.add(sub.call)
        elif _reaches_state(sub):
            return None
        else:
            kept.append(sub)
    assert isinstance(access.call, Requires)
    step = get_dependant(
        path=dependant.path or "",
        call=_Plan(access.call, access.name, uow, tuple(services), frozenset(folded)),
        name=PLANNED,
        scope="function",
    )
    return dataclasses.replace(
        dependant,
        call=_spread(endpoint),
        dependencies=[step if sub is access else sub for sub in kept],
    )


def _spread(
    endpoint: Callable[..., Coroutine[Any, Any, Any]],
) -> Callable[..., Coroutine[Any, Any, Any]]:
    @functools.wraps(endpoint)
    async def call(**values: Any) -> Any:
        values.update(values.pop(PLANNED))
        return await endpoint(**values)

    return call


class PlannedRoute(APIRoute):
    """An APIRoute whose request handler solves a planned dependant (see the module)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        # FastAPI builds one handler per router inclusion, from an "effective" copy of the
        # route that it names in a context variable while it calls this hook; the same
        # swap is made on whichever it reads (tests/platform/test_planned_routes.py fails
        # if FastAPI stops handing the copy this way).
        context = effective_route_context.get()
        route: Any = context if context is not None and context.original_route is self else self
        declared: Dependant = route.dependant
        planned = plan(declared)
        if planned is None:
            return super().get_route_handler()
        route.dependant = planned
        try:
            return super().get_route_handler()
        finally:
            route.dependant = declared
